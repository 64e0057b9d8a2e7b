import { createProvider, type Provider, silentLogger, type WhatsAppMessage } from '@msg/core';
import { rejectionOf, SimulatorServer, textResponse } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import whatsAppPlugin, { WHATSAPP_ERROR_CODES, type WhatsAppPluginOptions } from '../src/index.js';
import type { WhatsAppSimulator } from '../src/simulator.js';
import { ACME, GLOBEX, optionsFor, startSimulator, TO } from './helpers.js';

let simulator: WhatsAppSimulator;
const providers: Provider[] = [];
const signal = () => new AbortController().signal;

async function make(options: WhatsAppPluginOptions): Promise<Provider<'whatsapp'>> {
  const provider = await createProvider(whatsAppPlugin, options, {
    instanceId: 'whatsapp-test',
    logger: silentLogger,
    now: Date.now,
  });
  providers.push(provider);
  return provider as Provider<'whatsapp'>;
}

function text(id: string, body = 'Your order A-1029 is ready', to = `+${TO}`): WhatsAppMessage {
  return { id, channel: 'whatsapp', to, text: body };
}

function template(id: string, code = '482913', name = 'verification_code'): WhatsAppMessage {
  return {
    id,
    channel: 'whatsapp',
    to: `+${TO}`,
    template: {
      name,
      language: 'en_US',
      components: [{ type: 'body', parameters: [{ type: 'text', text: code }] }],
    },
  };
}

function bodyOf(index = 0): Record<string, unknown> {
  return JSON.parse(simulator.requests[index]?.body.toString('utf8') ?? '{}') as Record<string, unknown>;
}

beforeAll(async () => {
  simulator = await startSimulator();
});
afterEach(() => simulator.reset());
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('the request', () => {
  it('posts a text message to /{version}/{phone-number-id}/messages with the Bearer token and our id', async () => {
    const provider = await make(optionsFor(ACME, simulator, { previewUrl: true }));
    await provider.send(text('msg_1'), { signal: signal() });
    const [request] = simulator.requests;
    expect(request?.path).toBe(`/v24.0/${ACME.phoneNumberId}/messages`);
    expect(request?.headers.authorization).toBe(`Bearer ${ACME.accessToken}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.credential).toBe('acme');
    expect(bodyOf()).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: TO,
      biz_opaque_callback_data: 'msg_1',
      type: 'text',
      text: { body: 'Your order A-1029 is ready', preview_url: true },
    });
  });

  it('posts a template with its language and components as given', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    await provider.send(template('msg_2'), { signal: signal() });
    expect(bodyOf()).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: TO,
      biz_opaque_callback_data: 'msg_2',
      type: 'template',
      template: {
        name: 'verification_code',
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: '482913' }] }],
      },
    });
  });

  it('takes the Graph version and a base URL with a path from the options', async () => {
    const provider = await make(
      optionsFor(ACME, simulator, { graphVersion: 'v23.0', baseUrl: `${simulator.url}/` }),
    );
    await provider.send(text('m'), { signal: signal() });
    expect(simulator.requests[0]?.path).toBe(`/v23.0/${ACME.phoneNumberId}/messages`);
    const prefixed = new SimulatorServer({ name: 'proxy' }).route('POST', '/graph/v24.0/:id/messages', () =>
      textResponse(
        200,
        '{"messaging_product":"whatsapp","contacts":[],"messages":[{"id":"wamid.proxy"}]}',
        'application/json',
      ),
    );
    await prefixed.start();
    try {
      const behindProxy = await make(optionsFor(ACME, simulator, { baseUrl: `${prefixed.url}/graph` }));
      expect((await behindProxy.send(text('m'), { signal: signal() })).providerMessageId).toBe('wamid.proxy');
    } finally {
      await prefixed.stop();
    }
  });

  it('lets two instances in one process use two tokens, numbers and hosts', async () => {
    const other = await startSimulator();
    try {
      const first = await make(optionsFor(ACME, simulator));
      const second = await make(optionsFor(GLOBEX, other));
      await first.send(text('a'), { signal: signal() });
      await second.send(text('b'), { signal: signal() });
      expect(simulator.requests.map((request) => [request.credential, request.path])).toEqual([
        ['acme', `/v24.0/${ACME.phoneNumberId}/messages`],
      ]);
      expect(other.requests.map((request) => [request.credential, request.path])).toEqual([
        ['globex', `/v24.0/${GLOBEX.phoneNumberId}/messages`],
      ]);
    } finally {
      await other.stop();
    }
  });
});

describe('a send', () => {
  it('returns the wamid, sent, and the WhatsApp id and acceptance Meta answered', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const result = await provider.send(text('msg_1'), { signal: signal() });
    expect(result.providerMessageId).toMatch(/^wamid\.[A-Za-z0-9_-]{32}$/);
    expect(result).toMatchObject({ status: 'sent', details: { waId: TO, messageStatus: 'accepted' } });
    expect(result.segments).toBeUndefined();
  });

  it('maps every documented Graph error code to its kind, keeping the code and the HTTP status', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    for (const [code, entry] of Object.entries(WHATSAPP_ERROR_CODES)) {
      simulator.outcomes.set(TO, `code:${code}`);
      const error = await rejectionOf(provider.send(text(`m-${code}`), { signal: signal() }));
      expect(
        { kind: error.kind, code: error.providerCode, status: error.httpStatus },
        `code ${code}`,
      ).toEqual({
        kind: entry.kind,
        code,
        status: entry.httpStatus,
      });
      expect(error.message).toContain(entry.name);
    }
  });

  it('maps the permission range 200-299 and an undocumented code by its HTTP status', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.outcomes.set(TO, 'code:294');
    expect(await rejectionOf(provider.send(text('m'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: '294',
    });
    simulator.outcomes.set(TO, 'code:999999');
    expect(await rejectionOf(provider.send(text('m'), { signal: signal() }))).toMatchObject({
      kind: 'permanent',
      providerCode: '999999',
      httpStatus: 400,
    });
  });

  it('takes throttling answered as HTTP 400 for rate-limited: the number (130429) and the pair (131056)', async () => {
    const limited = await startSimulator({ throughputPerSecond: 2, pairIntervalMs: 6000 });
    try {
      const provider = await make(optionsFor(ACME, limited));
      await provider.send(text('a', 'one', '+260971000001'), { signal: signal() });
      const pair = await rejectionOf(provider.send(text('b', 'two', '+260971000001'), { signal: signal() }));
      expect(pair).toMatchObject({
        kind: 'rate-limited',
        providerCode: '131056',
        httpStatus: 400,
        isRetryable: true,
      });
      // No documented wait: the router backs off briefly rather than pausing the number for everyone.
      expect(pair.retryAfterMs).toBeUndefined();
      await provider.send(text('c', 'three', '+260971000002'), { signal: signal() });
      const throughput = await rejectionOf(
        provider.send(text('d', 'four', '+260971000003'), { signal: signal() }),
      );
      expect(throughput).toMatchObject({ kind: 'rate-limited', providerCode: '130429', httpStatus: 400 });
    } finally {
      await limited.stop();
    }
  });

  it("waits out an account-level limit for Graph's estimated time to regain access", async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.failNext('code:80007');
    expect(await rejectionOf(provider.send(text('m'), { signal: signal() }))).toMatchObject({
      kind: 'rate-limited',
      providerCode: '80007',
      retryAfterMs: 120_000,
    });
  });

  it('maps the 24-hour-window refusal (131047) as Meta means it: send a template, not again', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.outcomes.set(TO, 'code:131047');
    const error = await rejectionOf(provider.send(text('m'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: '131047', isRetryable: false });
    expect(error.message).toContain('send a template');
  });

  it('gets the simulator to refuse templates as Meta does: unknown (132001), wrong parameters (132000), paused', async () => {
    simulator.addTemplate({ name: 'spring_sale', language: 'en_US', status: 'PAUSED' });
    const provider = await make(optionsFor(ACME, simulator));
    expect(
      await rejectionOf(provider.send(template('m', '1', 'no_such_template'), { signal: signal() })),
    ).toMatchObject({
      kind: 'configuration',
      providerCode: '132001',
      httpStatus: 404,
    });
    const noParameters: WhatsAppMessage = {
      ...template('m'),
      template: { name: 'verification_code', language: 'en_US' },
    };
    expect(await rejectionOf(provider.send(noParameters, { signal: signal() }))).toMatchObject({
      kind: 'permanent',
      providerCode: '132000',
    });
    const paused: WhatsAppMessage = {
      ...template('m'),
      template: { name: 'spring_sale', language: 'en_US' },
    };
    expect((await rejectionOf(provider.send(paused, { signal: signal() }))).providerCode).toBe('132015');
  });

  it('reports a bad token (190) and a phone number id the token cannot use (100/33) as configuration', async () => {
    const badToken = await make({ ...optionsFor(ACME, simulator), accessToken: 'expired-token-0123' });
    const error = await rejectionOf(badToken.send(text('m'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '190', httpStatus: 401 });
    expect(JSON.stringify(error.toJSON())).not.toContain('expired-token-0123');
    const wrongNumber = await make({ ...optionsFor(ACME, simulator), phoneNumberId: GLOBEX.phoneNumberId });
    expect(await rejectionOf(wrongNumber.send(text('m'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: '100',
    });
  });

  it('treats a 2xx without a wamid as ambiguous, a bare 5xx as transient', async () => {
    let answer = textResponse(200, '<html>proxy</html>', 'text/html');
    const odd = new SimulatorServer({ name: 'odd' }).route('POST', '/v24.0/:id/messages', () => answer);
    await odd.start();
    try {
      const provider = await make(optionsFor(ACME, simulator, { baseUrl: odd.url }));
      expect(await rejectionOf(provider.send(text('m'), { signal: signal() }))).toMatchObject({
        kind: 'ambiguous',
        providerCode: 'UNREADABLE_ANSWER',
      });
      answer = textResponse(
        200,
        '{"messaging_product":"whatsapp","contacts":[],"messages":[]}',
        'application/json',
      );
      expect((await rejectionOf(provider.send(text('m'), { signal: signal() }))).kind).toBe('ambiguous');
      answer = { status: 502, body: '' };
      expect(await rejectionOf(provider.send(text('m'), { signal: signal() }))).toMatchObject({
        kind: 'transient',
        providerCode: 'HTTP_502',
      });
    } finally {
      await odd.stop();
    }
  });

  it('refuses without a request what Meta would refuse or no encoder can carry', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const refusals: Array<[WhatsAppMessage, string]> = [
      [text('m', 'x'.repeat(4097)), 'text: is 4097 characters; the limit is 4096'],
      [
        { ...text('m'), template: template('m').template },
        'template: a WhatsApp message is text or a template',
      ],
      [text('m', 'bad \udc00 text'), 'text: holds a lone UTF-16 surrogate'],
      [template('m', 'cut \ud83d'), 'template.components.0.parameters.0.text: holds a lone UTF-16 surrogate'],
      [text('m', 'hi', '+12'), 'to:'],
    ];
    for (const [message, reason] of refusals) {
      const error = await rejectionOf(provider.send(message, { signal: signal() }));
      expect(error.kind, reason).toBe('permanent');
      expect(error.message).toContain(reason);
    }
    const sms = { id: 'm', channel: 'sms', to: `+${TO}`, text: 'hi' } as unknown as WhatsAppMessage;
    expect((await rejectionOf(provider.send(sms, { signal: signal() }))).providerCode).toBe(
      'MSG_WRONG_CHANNEL',
    );
    expect(simulator.requests).toHaveLength(0);
  });

  it('validates locally, without a request: what a send refuses before sending is refused alike', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    expect(provider.capabilities.validation).toBe('local');
    expect(await provider.validate!(template('m'), { signal: signal() })).toEqual({ method: 'local' });
    const error = await rejectionOf(provider.validate!(text('m', 'x'.repeat(4097)), { signal: signal() }));
    const sent = await rejectionOf(provider.send(text('m', 'x'.repeat(4097)), { signal: signal() }));
    expect({ kind: error.kind, code: error.providerCode }).toEqual({
      kind: sent.kind,
      code: sent.providerCode,
    });
    expect(simulator.requests).toHaveLength(0);
  });

  it('sends hostile text verbatim, in JSON', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const hostile = 'a&b=c "quoted" \\ back\nline ✓ 🇿🇲 \u202Eevil';
    await provider.send(text('m', hostile), { signal: signal() });
    expect((bodyOf().text as { body: string }).body).toBe(hostile);
  });

  it('aborts a hanging request as ambiguous, and refuses to send once closed, as transient', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.faultNext({ hang: true });
    const controller = new AbortController();
    const pending = rejectionOf(provider.send(text('m'), { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    expect(await pending).toMatchObject({ kind: 'ambiguous', providerCode: 'MSG_ABORTED' });
    await provider.close();
    expect(await rejectionOf(provider.send(text('m'), { signal: signal() }))).toMatchObject({
      kind: 'transient',
      providerCode: 'MSG_CLOSED',
    });
  });
});
