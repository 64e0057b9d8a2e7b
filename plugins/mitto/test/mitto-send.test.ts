import {
  type BatchItemResult,
  createProvider,
  type Provider,
  type ProviderError,
  type SmsMessage,
  silentLogger,
} from '@msg/core';
import { rejectionOf, SimulatorServer, textResponse } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mittoPlugin, {
  BULK_REFERENCE_PREFIX,
  MITTO_RESPONSE_CODES,
  type MittoPluginOptions,
} from '../src/index.js';
import type { MittoSimulator } from '../src/simulator.js';
import { ACME, GLOBEX, optionsFor, startSimulator } from './helpers.js';

let simulator: MittoSimulator;
const providers: Provider[] = [];
const signal = () => new AbortController().signal;
const TO = '41751231234';

async function make(options: MittoPluginOptions, webhookUrl?: string): Promise<Provider<'sms'>> {
  const provider = await createProvider(mittoPlugin, options, {
    instanceId: 'mitto-test',
    logger: silentLogger,
    now: Date.now,
    webhookUrl,
  });
  providers.push(provider);
  return provider as Provider<'sms'>;
}

function sms(id: string, to = `+${TO}`, text = 'Your code is 123456', from?: string): SmsMessage {
  return { id, channel: 'sms', to, text, from };
}

function bodyOf(index = 0): Record<string, unknown> {
  return JSON.parse(simulator.requests[index]?.body.toString('utf8') ?? '{}') as Record<string, unknown>;
}

function failure(item: BatchItemResult | undefined): ProviderError {
  if (!item || item.ok) throw new Error(`expected a failed item, got ${JSON.stringify(item)}`);
  return item.error;
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
  it('posts JSON to /sms with the key header, digits-only to, our id as reference and the receipt URL', async () => {
    const provider = await make(
      optionsFor(ACME, simulator, { validity: 60 }),
      'http://127.0.0.1:9/webhooks/mitto',
    );
    await provider.send(sms('msg_1'), { signal: signal() });
    const [request] = simulator.requests;
    expect(request?.path).toBe('/sms');
    expect(request?.headers['x-mitto-api-key']).toBe(ACME.apiKey);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.credential).toBe('acme');
    expect(bodyOf()).toEqual({
      from: 'ACME',
      to: TO,
      text: 'Your code is 123456',
      type: 'GSM',
      reference: 'msg_1',
      callback: `http://127.0.0.1:9/webhooks/mitto?token=${ACME.webhookToken}`,
      validity: 60,
    });
  });

  it('declares Unicode for text outside GSM-7, and sends no callback with callbackUrl false', async () => {
    const provider = await make(optionsFor(ACME, simulator, { callbackUrl: false }), 'http://127.0.0.1:9/w');
    await provider.send(sms('msg_2', `+${TO}`, 'Grüße 😀'), { signal: signal() });
    expect(bodyOf()).toMatchObject({ type: 'Unicode' });
    expect(bodyOf()).not.toHaveProperty('callback');
  });

  it('lets two instances in one process talk to two different hosts', async () => {
    const other = await startSimulator();
    try {
      const first = await make(optionsFor(ACME, simulator));
      const second = await make(optionsFor(GLOBEX, other));
      await first.send(sms('a'), { signal: signal() });
      await second.send(sms('b'), { signal: signal() });
      expect(simulator.requests.map((request) => request.credential)).toEqual(['acme']);
      expect(other.requests.map((request) => request.credential)).toEqual(['globex']);
    } finally {
      await other.stop();
    }
  });
});

describe('a send', () => {
  it("returns Mitto's id, sent, and the parts counted as the carrier splits them", async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const result = await provider.send(sms('msg_1', `+${TO}`, 'x'.repeat(200)), { signal: signal() });
    expect(result.providerMessageId).toMatch(/^[0-9a-f]{32}$/);
    expect(result).toMatchObject({ status: 'sent', segments: 2 });
    expect(result.details?.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
  });

  it('maps every documented responseCode to its kind, keeping the code', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    for (const [code, entry] of Object.entries(MITTO_RESPONSE_CODES)) {
      simulator.outcomes.set(TO, code);
      const error = await rejectionOf(provider.send(sms(`m-${code}`), { signal: signal() }));
      expect(error.kind, `code ${code}`).toBe(entry.kind);
      expect(error.providerCode).toBe(code);
      expect(error.message).toContain(entry.name);
    }
  });

  it('gets the simulator to refuse what Mitto refuses: a bad sender (6) and text that is not GSM (4)', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    expect(
      await rejectionOf(provider.send(sms('m', `+${TO}`, 'hi', 'AB'), { signal: signal() })),
    ).toMatchObject({
      kind: 'configuration',
      providerCode: '6',
      httpStatus: 400,
    });
  });

  it('reports a bad key (401) as configuration without echoing it, and a 429 with its Retry-After', async () => {
    const bad = await make({ ...optionsFor(ACME, simulator), apiKey: 'wrong-key-0123456' });
    const error = await rejectionOf(bad.send(sms('m'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'HTTP_401' });
    expect(JSON.stringify(error.toJSON())).not.toContain('wrong-key-0123456');
    const provider = await make(optionsFor(ACME, simulator));
    simulator.failNext('http:429');
    expect(await rejectionOf(provider.send(sms('m'), { signal: signal() }))).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: 3000,
    });
  });

  it('refuses a client address Mitto has not whitelisted as configuration', async () => {
    simulator.accounts.set('fenced-key-0123', { name: 'fenced', allowedClientIps: ['203.0.113.0/24'] });
    const provider = await make({ ...optionsFor(ACME, simulator), apiKey: 'fenced-key-0123' });
    expect(await rejectionOf(provider.send(sms('m'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      httpStatus: 403,
    });
  });

  it('treats a 2xx without the documented JSON or without an id as ambiguous, a bare 5xx as transient', async () => {
    let answer = textResponse(200, '<html>proxy</html>', 'text/html');
    const odd = new SimulatorServer({ name: 'odd' }).route('POST', '/sms', () => answer);
    await odd.start();
    try {
      const provider = await make(optionsFor(ACME, simulator, { baseUrl: odd.url }));
      expect(await rejectionOf(provider.send(sms('m'), { signal: signal() }))).toMatchObject({
        kind: 'ambiguous',
        providerCode: 'UNREADABLE_ANSWER',
      });
      answer = textResponse(200, '{"responseCode":0,"responseText":"SMS sent"}', 'application/json');
      expect((await rejectionOf(provider.send(sms('m'), { signal: signal() }))).kind).toBe('ambiguous');
      answer = { status: 502, body: '' };
      expect(await rejectionOf(provider.send(sms('m'), { signal: signal() }))).toMatchObject({
        kind: 'transient',
        providerCode: 'HTTP_502',
      });
      answer = textResponse(400, '{"responseCode":99,"responseText":"New"}', 'application/json');
      expect(await rejectionOf(provider.send(sms('m'), { signal: signal() }))).toMatchObject({
        kind: 'permanent',
        providerCode: '99',
      });
    } finally {
      await odd.stop();
    }
  });

  it('refuses without a request: no sender, a bad number, text no encoding can carry', async () => {
    const noSender = await make({ ...optionsFor(ACME, simulator), from: undefined });
    expect(await rejectionOf(noSender.send(sms('m'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: 'MSG_NO_SENDER',
    });
    const provider = await make(optionsFor(ACME, simulator));
    expect((await rejectionOf(provider.send(sms('m', '+12'), { signal: signal() }))).providerCode).toBe(
      'MSG_INVALID_TO',
    );
    expect(
      (await rejectionOf(provider.send(sms('m', `+${TO}`, 'bad \udc00 text'), { signal: signal() })))
        .providerCode,
    ).toBe('UNENCODABLE_TEXT');
    expect(simulator.requests).toHaveLength(0);
  });

  it('sends hostile text verbatim', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const text = 'a"b\\c\n{"to":["1"]}&from=X <b>';
    await provider.send(sms('m', `+${TO}`, text), { signal: signal() });
    expect(bodyOf().text).toBe(text);
  });
});

describe('validate (test mode)', () => {
  it('sends with test: true, gets no id and resolves with the segment count', async () => {
    const provider = await make(optionsFor(ACME, simulator), 'http://127.0.0.1:9/webhooks/mitto');
    await simulator.callbacks.idle();
    const reportsBefore = simulator.callbacks.delivered.length;
    await expect(provider.validate!(sms('m'), { signal: signal() })).resolves.toEqual({
      method: 'test-mode',
      segments: 1,
    });
    expect(bodyOf()).toMatchObject({ test: true, reference: 'm' });
    await simulator.callbacks.idle();
    expect(simulator.callbacks.delivered).toHaveLength(reportsBefore);
  });

  it('rejects with the error a send would meet', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.outcomes.set(TO, '8');
    expect(await rejectionOf(provider.validate!(sms('m'), { signal: signal() }))).toMatchObject({
      kind: 'permanent',
      providerCode: '8',
    });
  });
});

describe('sendBatch', () => {
  it('sends same text and sender as one /smsbulk request, with one id per recipient and a shared bulk reference', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const messages = [sms('a', '+41751230001'), sms('b', '+41751230002'), sms('c', '+41751230001')];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(simulator.requests.map((request) => request.path)).toEqual(['/smsbulk']);
    const body = bodyOf();
    expect(body.to).toEqual(['41751230001', '41751230002', '41751230001']);
    expect(String(body.reference)).toMatch(new RegExp(`^${BULK_REFERENCE_PREFIX}[0-9a-f-]{36}$`));
    expect(results.map((result) => [result.messageId, result.ok])).toEqual([
      ['a', true],
      ['b', true],
      ['c', true],
    ]);
    const sent = results.map((result) => (result.ok ? result.result : undefined));
    expect(new Set(sent.map((result) => result?.providerMessageId)).size).toBe(3);
    for (const result of sent) expect(result?.details?.bulkReference).toBe(body.reference);
  });

  it('groups by text and sender, chunks by maxRecipientsPerRequest, sends a lone message to /sms, in order', async () => {
    const provider = await make(optionsFor(ACME, simulator, { maxRecipientsPerRequest: 2 }));
    expect(provider.capabilities.maxBatchSize).toBe(2);
    const messages = [
      sms('a1', '+41751230001', 'A'),
      sms('b1', '+41751230001', 'B'),
      sms('a2', '+41751230002', 'A'),
      sms('a3', '+41751230003', 'A'),
    ];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.map((result) => [result.messageId, result.ok])).toEqual([
      ['a1', true],
      ['b1', true],
      ['a2', true],
      ['a3', true],
    ]);
    const sent = simulator.requests
      .map((request) => {
        const body = JSON.parse(request.body.toString('utf8')) as { text: string; to: string | string[] };
        return `${request.path} ${body.text} ${[body.to].flat().join(',')}`;
      })
      .sort();
    expect(sent).toEqual(['/sms A 41751230003', '/sms B 41751230001', '/smsbulk A 41751230001,41751230002']);
  });

  it('fails locally what cannot be sent, so a bad number does not fail the bulk', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const results = await provider.sendBatch!(
      [sms('a', '+41751230001'), sms('b', 'nope'), sms('c', '+41751230003')],
      {
        signal: signal(),
      },
    );
    expect(results.map((result) => result.ok)).toEqual([true, false, true]);
    expect(failure(results[1]).providerCode).toBe('MSG_INVALID_TO');
    expect(simulator.requests).toHaveLength(1);
  });

  it('fails every message of a bulk refused as a whole, and of one whose connection dropped', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.outcomes.set('41751230002', '8');
    let results = await provider.sendBatch!([sms('a', '+41751230001'), sms('b', '+41751230002')], {
      signal: signal(),
    });
    expect(results.map((result) => failure(result).providerCode)).toEqual(['8', '8']);
    simulator.faultNext({ reset: true });
    results = await provider.sendBatch!([sms('a', '+41751230001'), sms('c', '+41751230003')], {
      signal: signal(),
    });
    expect(results.map((result) => failure(result).kind)).toEqual(['ambiguous', 'ambiguous']);
  });

  it('reports a recipient missing from an accepted bulk answer as ambiguous', async () => {
    const partial = new SimulatorServer({ name: 'partial' }).route('POST', '/smsbulk', () =>
      textResponse(
        200,
        JSON.stringify({
          responseCode: 0,
          responseText: 'SMS sent',
          messages: [{ id: 'id-a', to: '41751230001' }],
        }),
        'application/json',
      ),
    );
    await partial.start();
    try {
      const provider = await make(optionsFor(ACME, simulator, { baseUrl: partial.url }));
      const results = await provider.sendBatch!([sms('a', '+41751230001'), sms('b', '+41751230002')], {
        signal: signal(),
      });
      expect(results[0]).toMatchObject({ ok: true, result: { providerMessageId: 'id-a' } });
      expect(failure(results[1])).toMatchObject({ kind: 'ambiguous', providerCode: 'RECIPIENT_MISSING' });
    } finally {
      await partial.stop();
    }
  });

  it('reports in-flight messages as ambiguous when the signal aborts', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.faultNext({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    const results = await provider.sendBatch!([sms('a', '+41751230001'), sms('b', '+41751230002')], {
      signal: controller.signal,
    });
    expect(results.map((result) => failure(result).kind)).toEqual(['ambiguous', 'ambiguous']);
  });
});
