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
import africasTalkingPlugin, {
  AFRICASTALKING_BASE_URL,
  AFRICASTALKING_SANDBOX_BASE_URL,
  type AfricasTalkingPluginOptions,
  defaultBaseUrl,
  RECIPIENT_STATUS_CODES,
} from '../src/index.js';
import type { AfricasTalkingSimulator } from '../src/simulator.js';
import { ACME, GLOBEX, optionsFor, startSimulator } from './helpers.js';

let simulator: AfricasTalkingSimulator;
const providers: Provider[] = [];
const signal = () => new AbortController().signal;

async function make(
  options: AfricasTalkingPluginOptions,
  instanceId = 'africastalking-test',
): Promise<Provider<'sms'>> {
  const provider = await createProvider(africasTalkingPlugin, options, {
    instanceId,
    logger: silentLogger,
    now: Date.now,
  });
  providers.push(provider);
  return provider as Provider<'sms'>;
}

function sms(id: string, to: string, text = 'Your code is 123456', from?: string): SmsMessage {
  return { id, channel: 'sms', to, text, from };
}

function failure(item: BatchItemResult | undefined): ProviderError {
  if (!item || item.ok) throw new Error(`expected a failed item, got ${JSON.stringify(item)}`);
  return item.error;
}

beforeAll(async () => {
  simulator = await startSimulator();
});
afterEach(() => {
  simulator.reset();
  simulator.allowedSenderIds = undefined;
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('the request', () => {
  it('posts the documented form with the apiKey and Accept headers', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    await provider.send(sms('m-1', '+254711000001', 'Hello & welcome', 'ACME'), { signal: signal() });
    const [request] = simulator.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/version1/messaging');
    expect(request?.headers.apikey).toBe(ACME.apiKey);
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.credential).toBe('acme');
    const form = new URLSearchParams(request?.body.toString('utf8'));
    expect(Object.fromEntries(form)).toEqual({
      username: 'acme',
      to: '+254711000001',
      message: 'Hello & welcome',
      from: 'ACME',
      bulkSMSMode: '1',
    });
  });

  it('uses the default sender when the message names none, and omits from when neither does', async () => {
    const withDefault = await make(optionsFor(ACME, simulator, { from: '22384' }));
    const without = await make(optionsFor(ACME, simulator));
    await withDefault.send(sms('m-1', '+254711000001'), { signal: signal() });
    await without.send(sms('m-2', '+254711000001'), { signal: signal() });
    const forms = simulator.requests.map((request) => new URLSearchParams(request.body.toString('utf8')));
    expect(forms[0]?.get('from')).toBe('22384');
    expect(forms[1]?.has('from')).toBe(false);
  });

  it('sends enqueue=1 or enqueue=0 only when the option is set', async () => {
    for (const enqueue of [true, false]) {
      const provider = await make(optionsFor(ACME, simulator, { enqueue }));
      await provider.send(sms('m', '+254711000001'), { signal: signal() });
    }
    const values = simulator.requests.map((request) =>
      new URLSearchParams(request.body.toString('utf8')).get('enqueue'),
    );
    expect(values).toEqual(['1', '0']);
  });

  it('defaults to the production host, and to the sandbox host for the username sandbox', () => {
    expect(defaultBaseUrl('acme')).toBe(AFRICASTALKING_BASE_URL);
    expect(defaultBaseUrl('sandbox')).toBe(AFRICASTALKING_SANDBOX_BASE_URL);
    expect(defaultBaseUrl('Sandbox')).toBe('https://api.sandbox.africastalking.com');
  });

  it('lets two instances in one process talk to two different hosts', async () => {
    const other = await startSimulator();
    try {
      const first = await make(optionsFor(ACME, simulator));
      const second = await make({ ...optionsFor(GLOBEX, other), username: 'globex' });
      await first.send(sms('a', '+254711000001'), { signal: signal() });
      await second.send(sms('b', '+254711000002'), { signal: signal() });
      expect(simulator.requests.map((request) => request.credential)).toEqual(['acme']);
      expect(other.requests.map((request) => request.credential)).toEqual(['globex']);
    } finally {
      await other.stop();
    }
  });
});

describe('a single send', () => {
  it('returns the message id, the status and the cost parsed from "KES 0.8000"', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const result = await provider.send(sms('m-1', '+254711000001'), { signal: signal() });
    expect(result.providerMessageId).toMatch(/^ATXid_[0-9a-f]{32}$/);
    expect(result.status).toBe('sent');
    expect(result.cost).toEqual({ amount: '0.8000', currency: 'KES' });
    expect(result.details).toMatchObject({ statusCode: '101' });
  });

  it('bills a two-part message as two parts', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const result = await provider.send(sms('m-1', '+254711000001', 'x'.repeat(200)), { signal: signal() });
    expect(result.cost).toEqual({ amount: '1.6000', currency: 'KES' });
  });

  it('maps every documented recipient status code to an outcome or an error kind', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const expected: Record<number, string> = {
      100: 'queued',
      101: 'sent',
      102: 'queued',
      401: 'configuration',
      402: 'configuration',
      403: 'permanent',
      404: 'permanent',
      405: 'configuration',
      406: 'permanent',
      407: 'permanent',
      409: 'permanent',
      500: 'transient',
      501: 'transient',
      502: 'permanent',
    };
    expect(Object.keys(RECIPIENT_STATUS_CODES).map(Number).sort()).toEqual(
      Object.keys(expected).map(Number).sort(),
    );
    for (const [code, outcome] of Object.entries(expected)) {
      simulator.outcomes.set('+254711000009', code);
      const sending = provider.send(sms(`m-${code}`, '+254711000009'), { signal: signal() });
      if (['queued', 'sent'].includes(outcome)) {
        await expect(sending, `code ${code}`).resolves.toMatchObject({ status: outcome });
        continue;
      }
      const error = await rejectionOf(sending);
      expect(error.kind, `code ${code}`).toBe(outcome);
      expect(error.providerCode).toBe(code);
      expect(error.message).toContain(RECIPIENT_STATUS_CODES[Number(code)]?.name);
    }
  });

  it('classifies an undocumented recipient code by its HTTP-like class', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.outcomes.set('+254711000009', '499');
    expect((await rejectionOf(provider.send(sms('m', '+254711000009'), { signal: signal() }))).kind).toBe(
      'permanent',
    );
  });

  it('fails a 201 with an empty Recipients list, taking the reason as the code', async () => {
    simulator.allowedSenderIds = ['ACME'];
    const provider = await make(optionsFor(ACME, simulator));
    const error = await rejectionOf(
      provider.send(sms('m', '+254711000001', 'hi', 'UNKNOWN'), { signal: signal() }),
    );
    expect(error.kind).toBe('configuration');
    expect(error.providerCode).toBe('InvalidSenderId');
    expect(error.isRetryable).toBe(false);
  });

  it('reports a bad API key (401 text/plain) as configuration without echoing the key', async () => {
    const provider = await make({ ...optionsFor(ACME, simulator), apiKey: 'atsk_wrong_key_123' });
    const error = await rejectionOf(provider.send(sms('m', '+254711000001'), { signal: signal() }));
    expect(error.kind).toBe('configuration');
    expect(error.httpStatus).toBe(401);
    expect(error.message).toContain('The supplied authentication is invalid');
    expect(JSON.stringify(error.toJSON())).not.toContain('atsk_wrong_key_123');
    expect(simulator.requests[0]?.credential).toBeUndefined();
  });

  it('keeps the Retry-After of a 429 in the error', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.failNext('http:429');
    const error = await rejectionOf(provider.send(sms('m', '+254711000001'), { signal: signal() }));
    expect(error.kind).toBe('rate-limited');
    expect(error.retryAfterMs).toBe(3000);
  });

  it('treats a 201 whose body is not the documented JSON as ambiguous', async () => {
    const odd = new SimulatorServer({ name: 'odd' }).route('POST', '/version1/messaging', () =>
      textResponse(201, '<html>proxy page</html>', 'text/html'),
    );
    await odd.start();
    try {
      const provider = await make({ ...ACME, baseUrl: odd.url });
      const error = await rejectionOf(provider.send(sms('m', '+254711000001'), { signal: signal() }));
      expect(error.kind).toBe('ambiguous');
      expect(error.providerCode).toBe('UNREADABLE_ANSWER');
    } finally {
      await odd.stop();
    }
  });

  it('refuses to send after close, without a request', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    await provider.close();
    const error = await rejectionOf(provider.send(sms('m', '+254711000001'), { signal: signal() }));
    expect(error.kind).toBe('transient');
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('sendBatch', () => {
  it('sends messages with the same text and sender as one request with comma-joined recipients', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.outcomes.set('+254711000002', 'InvalidPhoneNumber');
    const messages = [sms('a', '+254711000001'), sms('b', '+254711000002'), sms('c', '+254711000003')];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(simulator.requests).toHaveLength(1);
    expect(new URLSearchParams(simulator.requests[0]?.body.toString('utf8')).get('to')).toBe(
      '+254711000001,+254711000002,+254711000003',
    );
    expect(results.map((result) => [result.messageId, result.ok])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    const error = failure(results[1]);
    expect(error.kind).toBe('permanent');
    expect(error.providerCode).toBe('403');
    const ids = results.flatMap((result) => (result.ok ? [result.result.providerMessageId] : []));
    expect(new Set(ids).size).toBe(2);
  });

  it('groups by text and sender, chunks by maxRecipientsPerRequest and keeps the input order', async () => {
    const provider = await make(optionsFor(ACME, simulator, { maxRecipientsPerRequest: 2 }));
    expect(provider.capabilities.maxBatchSize).toBe(2);
    const messages = [
      sms('a1', '+254711000001', 'A'),
      sms('b1', '+254711000001', 'B'),
      sms('a2', '+254711000002', 'A'),
      sms('a3', '+254711000003', 'A'),
      sms('a4', '+254711000004', 'A', 'OTHER'),
    ];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.map((result) => result.messageId)).toEqual(['a1', 'b1', 'a2', 'a3', 'a4']);
    expect(results.every((result) => result.ok)).toBe(true);
    const requests = simulator.requests
      .map((request) => new URLSearchParams(request.body.toString('utf8')))
      .map((form) => `${form.get('message')}|${form.get('from') ?? ''}|${form.get('to')}`)
      .sort();
    expect(requests).toEqual([
      'A|OTHER|+254711000004',
      'A||+254711000001,+254711000002',
      'A||+254711000003',
      'B||+254711000001',
    ]);
  });

  it('sends the same text to the same number twice in separate requests', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const results = await provider.sendBatch!([sms('a', '+254711000001'), sms('b', '+254711000001')], {
      signal: signal(),
    });
    expect(simulator.requests).toHaveLength(2);
    expect(results.every((result) => result.ok)).toBe(true);
  });

  it('fails every message of a request refused as a whole', async () => {
    simulator.allowedSenderIds = ['ACME'];
    const provider = await make(optionsFor(ACME, simulator));
    const results = await provider.sendBatch!(
      [
        sms('a', '+254711000001', 'hi', 'NOPE'),
        sms('b', '+254711000002', 'hi', 'NOPE'),
        sms('c', '+254711000003', 'hi', 'ACME'),
      ],
      { signal: signal() },
    );
    expect(results.map((result) => result.ok)).toEqual([false, false, true]);
    expect(failure(results[0]).providerCode).toBe('InvalidSenderId');
    expect(failure(results[1]).kind).toBe('configuration');
  });

  it('reports an HTTP failure on every message of the request', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.failNext('http:503');
    const results = await provider.sendBatch!([sms('a', '+254711000001'), sms('b', '+254711000002')], {
      signal: signal(),
    });
    expect(results.map((result) => failure(result).kind)).toEqual(['transient', 'transient']);
  });
});

describe('sendBatch when the answer is incomplete', () => {
  it('reports in-flight messages as ambiguous when the signal aborts', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    simulator.faultNext({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    const results = await provider.sendBatch!([sms('a', '+254711000001'), sms('b', '+254711000002')], {
      signal: controller.signal,
    });
    expect(results.map((result) => failure(result).kind)).toEqual(['ambiguous', 'ambiguous']);
  });

  it('reports a recipient missing from an accepted answer as ambiguous', async () => {
    const partial = new SimulatorServer({ name: 'partial' }).route('POST', '/version1/messaging', () =>
      textResponse(
        201,
        JSON.stringify({
          SMSMessageData: {
            Message: 'Sent to 1/2 Total Cost: KES 0.8000',
            Recipients: [
              {
                statusCode: 101,
                number: '+254711000001',
                status: 'Success',
                cost: 'KES 0.8000',
                messageId: 'ATXid_a',
              },
            ],
          },
        }),
        'application/json',
      ),
    );
    await partial.start();
    try {
      const provider = await make({ ...ACME, baseUrl: partial.url });
      const results = await provider.sendBatch!([sms('a', '+254711000001'), sms('b', '+254711000002')], {
        signal: signal(),
      });
      expect(results[0]).toMatchObject({ ok: true, result: { providerMessageId: 'ATXid_a' } });
      expect(failure(results[1])).toMatchObject({ kind: 'ambiguous', providerCode: 'RECIPIENT_MISSING' });
    } finally {
      await partial.stop();
    }
  });
});

describe('health', () => {
  it('reports the balance when the key is good, and not ok when it is not', async () => {
    const good = await make(optionsFor(ACME, simulator));
    const bad = await make({ ...optionsFor(ACME, simulator), apiKey: 'nope' });
    await expect(good.health!({ signal: signal() })).resolves.toEqual({
      ok: true,
      detail: 'balance KES 1000.0000',
    });
    const status = await bad.health!({ signal: signal() });
    expect(status.ok).toBe(false);
    expect(status.detail).toContain('401');
  });
});

describe('validate (local: the sandbox is another account and host)', () => {
  it('judges a message without a request: the segment count, nothing sent', async () => {
    const provider = await make(optionsFor(ACME, simulator, { from: 'ACME' }));
    expect(provider.capabilities.validation).toBe('local');
    await expect(
      provider.validate!(sms('v-1', '+254711000001', 'ж'.repeat(71)), { signal: signal() }),
    ).resolves.toEqual({ method: 'local', segments: 2 });
    expect(simulator.requests).toHaveLength(0);
  });

  it("refuses a sender the account has not registered (InvalidSenderId), as Africa's Talking does", async () => {
    simulator.allowedSenderIds = ['ACME'];
    const provider = await make(optionsFor(ACME, simulator, { senderIds: ['ACME'] }));
    const message = sms('v-sender', '+254711000001', 'hi', 'GLOBEX');
    const refused = await rejectionOf(provider.validate!(message, { signal: signal() }));
    expect(refused).toMatchObject({ kind: 'configuration', providerCode: 'InvalidSenderId' });
    expect(simulator.requests).toHaveLength(0);
    expect(await rejectionOf(provider.send(message, { signal: signal() }))).toMatchObject({
      kind: refused.kind,
      providerCode: refused.providerCode,
    });
    await expect(
      provider.validate!(sms('v-ok', '+254711000001', 'hi', 'ACME'), { signal: signal() }),
    ).resolves.toMatchObject({ method: 'local' });
  });

  it("refuses a number Africa's Talking cannot take with its own code (403 InvalidPhoneNumber)", async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const message = sms('v-to', '+25471', 'hi');
    const refused = await rejectionOf(provider.validate!(message, { signal: signal() }));
    expect(refused).toMatchObject({ kind: 'permanent', providerCode: '403' });
    expect(simulator.requests).toHaveLength(0);
    expect(await rejectionOf(provider.send(message, { signal: signal() }))).toMatchObject({
      kind: 'permanent',
      providerCode: '403',
    });
  });
});
