import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import { rejectionOf, SimulatorServer, textResponse } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import vonagePlugin, { VONAGE_SMS_STATUS_CODES, type VonagePluginOptions } from '../src/index.js';
import type { VonageSimulator } from '../src/simulator.js';
import { ACME, GLOBEX, optionsFor, startSimulator } from './helpers.js';

let simulator: VonageSimulator;
const providers: Provider[] = [];
const signal = () => new AbortController().signal;
const TO = '447700900001';

async function make(
  options: VonagePluginOptions,
  context: { webhookUrl?: string; instanceId?: string } = {},
): Promise<Provider<'sms'>> {
  const provider = await createProvider(vonagePlugin, options, {
    instanceId: context.instanceId ?? 'vonage-test',
    logger: silentLogger,
    now: Date.now,
    webhookUrl: context.webhookUrl,
  });
  providers.push(provider);
  return provider as Provider<'sms'>;
}

function sms(id: string, text = 'Your code is 123456', to = `+${TO}`, from?: string): SmsMessage {
  return { id, channel: 'sms', to, text, from };
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
  it('posts JSON to /sms/json with Basic auth, digits-only to, our id as client-ref and the receipt URL', async () => {
    const provider = await make(optionsFor(ACME, simulator, { webhookToken: 'acme-webhook-token-0123' }), {
      webhookUrl: 'http://127.0.0.1:9/webhooks/vonage',
    });
    await provider.send(sms('msg_1', 'Hello & welcome'), { signal: signal() });
    const [request] = simulator.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/sms/json');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ACME.apiKey}:${ACME.apiSecret}`).toString('base64')}`,
    );
    expect(request?.credential).toBe(ACME.apiKey);
    expect(bodyOf()).toEqual({
      from: 'ACME',
      to: TO,
      text: 'Hello & welcome',
      type: 'text',
      'client-ref': 'msg_1',
      callback: 'http://127.0.0.1:9/webhooks/vonage?token=acme-webhook-token-0123',
    });
    // The secret never travels in the body.
    expect(request?.body.toString('utf8')).not.toContain(ACME.apiSecret);
  });

  it('declares type unicode for text outside GSM-7, and sends ttl and the regulatory ids when set', async () => {
    const provider = await make(
      optionsFor(ACME, simulator, {
        ttl: 900_000,
        entityId: '1101456324675322134',
        contentId: '1107457532145798767',
      }),
    );
    await provider.send(sms('msg_2', 'Привет 👋'), { signal: signal() });
    expect(bodyOf()).toMatchObject({
      type: 'unicode',
      ttl: 900_000,
      'entity-id': '1101456324675322134',
      'content-id': '1107457532145798767',
    });
  });

  it('sends no callback with callbackUrl false, and no client-ref for an id over 40 characters', async () => {
    const provider = await make(optionsFor(ACME, simulator, { callbackUrl: false }), {
      webhookUrl: 'http://127.0.0.1:9/webhooks/vonage',
    });
    await provider.send(sms('x'.repeat(41)), { signal: signal() });
    expect(bodyOf()).not.toHaveProperty('callback');
    expect(bodyOf()).not.toHaveProperty('client-ref');
  });

  it('refuses at create time a receipt URL longer than Vonage takes (100 characters)', async () => {
    const error = await make(optionsFor(ACME, simulator), {
      webhookUrl: `http://127.0.0.1:9/${'w'.repeat(90)}`,
    }).catch((reason: unknown) => reason);
    expect((error as { code?: string }).code).toBe('MSG_ERR_PLUGIN_CREATE');
    expect((error as Error).message).toContain('at most 100');
  });

  it('lets two instances in one process talk to two different hosts', async () => {
    const other = await startSimulator();
    try {
      const first = await make(optionsFor(ACME, simulator));
      const second = await make(optionsFor(GLOBEX, other));
      await first.send(sms('a'), { signal: signal() });
      await second.send(sms('b'), { signal: signal() });
      expect(simulator.requests.map((request) => request.credential)).toEqual([ACME.apiKey]);
      expect(other.requests.map((request) => request.credential)).toEqual([GLOBEX.apiKey]);
    } finally {
      await other.stop();
    }
  });
});

describe('a send', () => {
  it('returns the message id, sent, one segment, the price in the account currency and the network', async () => {
    const provider = await make(optionsFor(ACME, simulator, { currency: 'USD' }));
    const result = await provider.send(sms('msg_1'), { signal: signal() });
    expect(result.providerMessageId).toMatch(/^[0-9A-F]{16}$/);
    expect(result).toMatchObject({
      status: 'sent',
      segments: 1,
      cost: { amount: '0.03330000', currency: 'USD' },
      details: { network: '23410' },
    });
  });

  it('returns the first part id for a long text, with every part id, the part count and the summed price', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const text = 'x'.repeat(400);
    const result = await provider.send(sms('msg_long', text), { signal: signal() });
    const parts = (result.details?.partMessageIds ?? '').split(',');
    expect(parts).toHaveLength(3);
    expect(result.providerMessageId).toBe(parts[0]);
    expect(result.segments).toBe(3);
    expect(result.cost).toEqual({ amount: '0.09990000', currency: 'EUR' });
  });

  it('maps every documented status in a 200 body to its kind, keeping the status as the code', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    for (const [status, entry] of Object.entries(VONAGE_SMS_STATUS_CODES)) {
      simulator.outcomes.set(TO, status);
      const error = await rejectionOf(provider.send(sms(`m-${status}`), { signal: signal() }));
      expect(error.kind, `status ${status}`).toBe(entry.kind);
      expect(error.providerCode).toBe(status);
      expect(error.httpStatus).toBeUndefined();
      expect(error.message).toContain(entry.name);
    }
  });

  it('asks to wait about a second on status 1 (throttled)', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.failNext('status:1');
    const error = await rejectionOf(provider.send(sms('m'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'rate-limited', retryAfterMs: 1000 });
  });

  it('reports some parts accepted and some refused as ambiguous: a resend would repeat the accepted parts', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.outcomes.set(TO, 'partial:5');
    const error = await rejectionOf(provider.send(sms('m', 'y'.repeat(320)), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'ambiguous', providerCode: '5' });
    expect(error.message).toContain('accepted 1 of 3 parts');
  });

  it('treats an undocumented status as permanent', async () => {
    const odd = new SimulatorServer({ name: 'odd' }).route('POST', '/sms/json', () =>
      textResponse(
        200,
        '{"message-count":"1","messages":[{"status":"42","error-text":"New error"}]}',
        'application/json',
      ),
    );
    await odd.start();
    try {
      const provider = await make(optionsFor(ACME, simulator, { restHost: odd.url }));
      const error = await rejectionOf(provider.send(sms('m'), { signal: signal() }));
      expect(error).toMatchObject({ kind: 'permanent', providerCode: '42' });
    } finally {
      await odd.stop();
    }
  });

  it('treats a 200 whose body is not the documented JSON as ambiguous, and a bare 5xx as transient', async () => {
    let answer = textResponse(200, '<html>proxy</html>', 'text/html');
    const odd = new SimulatorServer({ name: 'odd' }).route('POST', '/sms/json', () => answer);
    await odd.start();
    try {
      const provider = await make(optionsFor(ACME, simulator, { restHost: odd.url }));
      expect(await rejectionOf(provider.send(sms('m'), { signal: signal() }))).toMatchObject({
        kind: 'ambiguous',
        providerCode: 'UNREADABLE_ANSWER',
      });
      answer = textResponse(200, '{"message-count":"1","messages":[]}', 'application/json');
      expect((await rejectionOf(provider.send(sms('m'), { signal: signal() }))).kind).toBe('ambiguous');
      answer = { status: 502, body: '' };
      expect(await rejectionOf(provider.send(sms('m'), { signal: signal() }))).toMatchObject({
        kind: 'transient',
        providerCode: 'HTTP_502',
      });
    } finally {
      await odd.stop();
    }
  });

  it('keeps the Retry-After of an HTTP 429', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.failNext('http:429');
    expect(await rejectionOf(provider.send(sms('m'), { signal: signal() }))).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: 2000,
    });
  });

  it('reports bad credentials (status 4) as configuration without echoing the secret', async () => {
    const provider = await make({ ...optionsFor(ACME, simulator), apiSecret: 'wrong-secret-123456' });
    const error = await rejectionOf(provider.send(sms('m'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '4' });
    expect(JSON.stringify(error.toJSON())).not.toContain('wrong-secret-123456');
  });

  it('refuses without a request: no sender, a number that is not 7-15 digits, text no encoding can carry', async () => {
    const noSender = await make({ ...optionsFor(ACME, simulator), from: undefined });
    expect(await rejectionOf(noSender.send(sms('m'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: 'MSG_NO_SENDER',
    });
    const provider = await make(optionsFor(ACME, simulator));
    expect(await rejectionOf(provider.send(sms('m', 'hi', '+12345'), { signal: signal() }))).toMatchObject({
      kind: 'permanent',
      providerCode: 'MSG_INVALID_TO',
    });
    expect(
      await rejectionOf(provider.send(sms('m', 'broken \ud83d text'), { signal: signal() })),
    ).toMatchObject({
      kind: 'permanent',
      providerCode: 'UNENCODABLE_TEXT',
    });
    expect(simulator.requests).toHaveLength(0);
  });

  it('sends hostile text verbatim: quotes, newlines, JSON and form metacharacters', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const text = 'a"b\\c\n{"x":1}&to=0000000&text=%00 <script>';
    await provider.send(sms('m', text), { signal: signal() });
    expect(bodyOf().text).toBe(text);
  });

  it('refuses to send after close, without a request', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    await provider.close();
    expect((await rejectionOf(provider.send(sms('m'), { signal: signal() }))).kind).toBe('transient');
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('validate', () => {
  it('judges locally, with the segment count, and refuses what send would refuse', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    await expect(provider.validate!(sms('m', 'é'.repeat(200)), { signal: signal() })).resolves.toEqual({
      method: 'local',
      segments: 2,
    });
    expect((await rejectionOf(provider.validate!(sms('m', 'hi', '+1'), { signal: signal() }))).kind).toBe(
      'permanent',
    );
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('health', () => {
  it('reports the balance when the credentials are good, and not ok when they are not', async () => {
    const good = await make(optionsFor(ACME, simulator));
    const bad = await make({ ...optionsFor(ACME, simulator), apiSecret: 'nope' });
    const healthy = await good.health!({ signal: signal() });
    expect(healthy.ok).toBe(true);
    expect(healthy.detail).toMatch(/^balance \d+(\.\d{1,8})? EUR$/);
    const status = await bad.health!({ signal: signal() });
    expect(status.ok).toBe(false);
    expect(status.detail).toContain('401');
  });
});
