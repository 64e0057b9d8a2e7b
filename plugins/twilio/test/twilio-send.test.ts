import { createProvider, type PluginContext, type Provider, ProviderError, silentLogger } from '@msg/core';
import { jsonResponse, SimulatorServer, type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import twilioPlugin, { TWILIO_ERROR_KINDS, type TwilioPluginOptions } from '../src/index.js';
import { TWILIO_SIMULATOR_ERRORS, type TwilioSimulator } from '../src/simulator.js';
import { FIRST_ACCOUNT, optionsFor, SENDER, SERVICE_SID, signal, startSimulator } from './fixtures.js';

let simulator: TwilioSimulator;
// Status callbacks of these sends land here and are not looked at.
let receiver: WebhookReceiver;
let webhookUrl: string;
const providers: Provider[] = [];

function context(instanceId: string, webhookUrl?: string): PluginContext {
  return { instanceId, logger: silentLogger, now: Date.now, webhookUrl };
}

async function make(options: TwilioPluginOptions, webhookUrl?: string, instanceId = 'twilio-test') {
  const provider = await createProvider(twilioPlugin, options, context(instanceId, webhookUrl));
  providers.push(provider);
  return provider as Provider<'sms'>;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(ProviderError.isInstance(error), `expected a ProviderError, got ${String(error)}`).toBe(true);
  return error as ProviderError;
}

const sms = (id: string, to = '+260971234567', text = 'Hello from @msg') =>
  ({ id, channel: 'sms', to, text }) as const;

beforeAll(async () => {
  simulator = await startSimulator();
  receiver = await webhookReceiver();
  webhookUrl = `${receiver.url}/webhooks/twilio-main`;
});
afterEach(() => {
  simulator.reset();
  simulator.callbackUrl = undefined;
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
  await receiver.close();
});

describe('the request the SDK sends', () => {
  it('posts To, From, Body and StatusCallback to the account Messages.json with Basic auth', async () => {
    const provider = await make(optionsFor(simulator), webhookUrl);
    const text = 'x'.repeat(161);
    const result = await provider.send(sms('m-exact', '+260971234567', text), { signal: signal() });

    expect(simulator.requests).toHaveLength(1);
    const request = simulator.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/2010-04-01/Accounts/${FIRST_ACCOUNT.sid}/Messages.json`);
    expect(request.headers.authorization).toBe(
      `Basic ${Buffer.from(`${FIRST_ACCOUNT.sid}:${FIRST_ACCOUNT.token}`).toString('base64')}`,
    );
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers['user-agent']).toMatch(/^twilio-node\/6\.2\.0 /);
    expect(request.credential).toBe(FIRST_ACCOUNT.sid);
    const form = Object.fromEntries(new URLSearchParams(request.body.toString('utf8')));
    expect(form).toEqual({
      To: '+260971234567',
      From: SENDER,
      Body: text,
      StatusCallback: `${webhookUrl}?messageId=m-exact`,
    });

    expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result).toMatchObject({ status: 'queued', segments: 2, cost: undefined });
  });

  it("uses statusCallbackUrl over the host's webhook URL, and validityPeriod, from the options", async () => {
    const provider = await make(
      {
        ...optionsFor(simulator),
        statusCallbackUrl: `${receiver.url}/callbacks?tenant=zm`,
        validityPeriod: 600,
      },
      webhookUrl,
    );
    await provider.send({ ...sms('m-options'), from: 'ACME' }, { signal: signal() });
    const form = new URLSearchParams(simulator.requests[0]!.body.toString('utf8'));
    expect(form.get('StatusCallback')).toBe(`${receiver.url}/callbacks?tenant=zm&messageId=m-options`);
    expect(form.get('ValidityPeriod')).toBe('600');
    // The message's own sender wins over the default.
    expect(form.get('From')).toBe('ACME');
  });

  it('sends through a Messaging Service when one is configured, reporting accepted as queued', async () => {
    const provider = await make({
      accountSid: FIRST_ACCOUNT.sid,
      authToken: FIRST_ACCOUNT.token,
      messagingServiceSid: SERVICE_SID,
      baseUrl: simulator.url,
    });
    const result = await provider.send(sms('m-service'), { signal: signal() });
    const form = new URLSearchParams(simulator.requests[0]!.body.toString('utf8'));
    expect(form.get('MessagingServiceSid')).toBe(SERVICE_SID);
    expect(form.has('From')).toBe(false);
    expect(form.has('StatusCallback')).toBe(false);
    expect(result.status).toBe('queued');
    expect(result.details).toEqual({ messagingServiceSid: SERVICE_SID });
  });

  it('counts UCS-2 segments as Twilio reports them', async () => {
    const provider = await make(optionsFor(simulator));
    const result = await provider.send(sms('m-ucs2', '+260971234567', 'ü'.repeat(60) + '😀'.repeat(6)), {
      signal: signal(),
    });
    expect(result.segments).toBe(2);
  });
});

describe('errors', () => {
  it('maps every Twilio code in the table to its kind, keeping code, status and message', async () => {
    const provider = await make(optionsFor(simulator), undefined, 'twilio-errors');
    const expected: Record<string, [ProviderError['kind'], number]> = {
      '20003': ['configuration', 401],
      '20404': ['configuration', 404],
      '20429': ['rate-limited', 429],
      '20500': ['transient', 500],
      '20503': ['transient', 503],
      '21211': ['permanent', 400],
      '21408': ['configuration', 400],
      '21602': ['permanent', 400],
      '21603': ['configuration', 400],
      '21604': ['permanent', 400],
      '21606': ['configuration', 400],
      '21610': ['permanent', 400],
      '21612': ['permanent', 400],
      '21614': ['permanent', 400],
      '21617': ['permanent', 400],
      '30001': ['transient', 400],
      '30002': ['configuration', 400],
      '30003': ['permanent', 400],
      '30004': ['permanent', 400],
      '30005': ['permanent', 400],
      '30006': ['permanent', 400],
      '30007': ['permanent', 400],
    };
    // The plugin's table, the simulator's catalogue and this test cover the same codes.
    expect(Object.keys(TWILIO_ERROR_KINDS).sort()).toEqual(Object.keys(expected).sort());
    expect(Object.keys(TWILIO_SIMULATOR_ERRORS).sort()).toEqual(Object.keys(expected).sort());
    for (const [code, [kind, status]] of Object.entries(expected)) {
      simulator.failNext(code);
      const error = await failure(provider.send(sms(`m-${code}`), { signal: signal() }));
      expect({
        code,
        kind: error.kind,
        providerCode: error.providerCode,
        httpStatus: error.httpStatus,
      }).toEqual({
        code,
        kind,
        providerCode: code,
        httpStatus: status,
      });
      expect(error.provider).toBe('twilio-errors');
      expect(error.message).toContain(`(${code})`);
      expect(error.isRetryable).toBe(kind === 'transient' || kind === 'rate-limited');
    }
  });

  it('honours Retry-After on 20429', async () => {
    const provider = await make(optionsFor(simulator));
    simulator.failNext('20429');
    const error = await failure(provider.send(sms('m-429'), { signal: signal() }));
    expect(error).toMatchObject({
      kind: 'rate-limited',
      providerCode: '20429',
      httpStatus: 429,
      retryAfterMs: 2000,
    });
  });

  it('treats a 5xx without a Twilio body as transient', async () => {
    const provider = await make(optionsFor(simulator));
    simulator.faultNext({ errorRate: 1 });
    const error = await failure(provider.send(sms('m-500'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'HTTP_500', httpStatus: 500 });
  });

  it('gets 20003 from the simulator for a wrong auth token, never retryable and never echoing the token', async () => {
    const provider = await make({ ...optionsFor(simulator), authToken: 'wrong-token-value' });
    const error = await failure(provider.send(sms('m-auth'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '20003', httpStatus: 401 });
    expect(error.isRetryable).toBe(false);
    expect(error.message).not.toContain('wrong-token-value');
    expect(JSON.stringify(error)).not.toContain('wrong-token-value');
  });

  it('gets 21211 for a number that is not E.164 and 21617 for a body over 1600 characters', async () => {
    const provider = await make(optionsFor(simulator));
    const badNumber = await failure(provider.send(sms('m-to', '0971234567'), { signal: signal() }));
    expect(badNumber).toMatchObject({ kind: 'permanent', providerCode: '21211' });
    expect(badNumber.message).toContain("The 'To' number 0971234567 is not a valid phone number.");
    const tooLong = await failure(
      provider.send(sms('m-long', '+260971234567', 'a'.repeat(1601)), { signal: signal() }),
    );
    expect(tooLong).toMatchObject({ kind: 'permanent', providerCode: '21617', httpStatus: 400 });
  });

  it('refuses to send after close', async () => {
    const provider = await make(optionsFor(simulator));
    await provider.close();
    const error = await failure(provider.send(sms('m-closed'), { signal: signal() }));
    expect(error.kind).toBe('configuration');
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('batches, cost and health', () => {
  it('sends a batch side by side with one outcome per message, in order', async () => {
    const provider = await make(optionsFor(simulator));
    const results = await provider.sendBatch!([sms('b1'), sms('b2', 'not-a-number'), sms('b3')], {
      signal: signal(),
    });
    expect(results.map((result) => [result.messageId, result.ok])).toEqual([
      ['b1', true],
      ['b2', false],
      ['b3', true],
    ]);
    const failed = results[1];
    expect(failed?.ok === false && failed.error.providerCode).toBe('21211');
    expect(simulator.requests).toHaveLength(3);
  });

  it('reports the price as a positive cost when Twilio includes it', async () => {
    // Twilio fills in price later; a server that has it at once shows the mapping.
    const priced = new SimulatorServer({ name: 'twilio-priced' }).route(
      'POST',
      '/2010-04-01/Accounts/:accountSid/Messages.json',
      () =>
        jsonResponse(201, {
          sid: `SM${'f'.repeat(32)}`,
          status: 'sent',
          num_segments: '3',
          price: '-0.00750',
          price_unit: 'USD',
        }),
    );
    await priced.start();
    try {
      const provider = await make({ ...optionsFor(simulator), baseUrl: priced.url });
      const result = await provider.send(sms('m-price'), { signal: signal() });
      expect(result).toEqual({
        providerMessageId: `SM${'f'.repeat(32)}`,
        status: 'sent',
        segments: 3,
        cost: { amount: '0.00750', currency: 'USD' },
        details: undefined,
      });
    } finally {
      await priced.stop();
    }
  });

  it('checks health by fetching the account', async () => {
    const good = await make(optionsFor(simulator));
    await expect(good.health!({ signal: signal() })).resolves.toEqual({ ok: true });
    const bad = await make({ ...optionsFor(simulator), authToken: 'nope-not-it' });
    const health = await bad.health!({ signal: signal() });
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('20003');
    expect(health.detail).not.toContain('nope-not-it');
  });
});

describe('options', () => {
  const create = (options: unknown) => createProvider(twilioPlugin, options, context('twilio-options'));

  it('requires a sender', async () => {
    await expect(create({ accountSid: FIRST_ACCOUNT.sid, authToken: 'x' })).rejects.toThrow(
      /from.*messagingServiceSid/,
    );
  });

  it('refuses a malformed AccountSid and unknown keys', async () => {
    await expect(create({ accountSid: 'SK123', authToken: 'x', from: SENDER })).rejects.toThrow(/accountSid/);
    await expect(
      create({ accountSid: FIRST_ACCOUNT.sid, authToken: 'x', from: SENDER, region: 'ie1' }),
    ).rejects.toThrow(/region/);
  });

  it('defaults baseUrl to the real Twilio API', () => {
    const parsed = twilioPlugin.optionsSchema['~standard'].validate({
      accountSid: FIRST_ACCOUNT.sid,
      authToken: 'x',
      from: SENDER,
    });
    expect(parsed).toMatchObject({ value: { baseUrl: 'https://api.twilio.com' } });
  });
});

describe('validate (local: Twilio has no test mode for live credentials)', () => {
  it('judges a message locally: the segment count, no request, no callback', async () => {
    const provider = await make(optionsFor(simulator), webhookUrl);
    simulator.callbackUrl = webhookUrl;
    await simulator.callbacks.idle();
    const callbacksBefore = simulator.callbacks.delivered.length;
    await expect(
      provider.validate!(sms('v-1', '+260971234567', 'é'.repeat(161)), { signal: signal() }),
    ).resolves.toEqual({
      method: 'local',
      segments: 2,
    });
    expect(provider.capabilities.validation).toBe('local');
    expect(simulator.requests).toHaveLength(0);
    await simulator.callbacks.idle();
    expect(simulator.callbacks.delivered).toHaveLength(callbacksBefore);
  });

  it('refuses what Twilio refuses, with the code and kind a send meets, without asking Twilio', async () => {
    const provider = await make(optionsFor(simulator), webhookUrl);
    const cases = [
      { message: sms('v-long', '+260971234567', 'x'.repeat(1601)), code: '21617', kind: 'permanent' },
      { message: sms('v-to', '+1234', 'hi'), code: '21211', kind: 'permanent' },
    ];
    for (const { message, code, kind } of cases) {
      const refused = await failure(provider.validate!(message, { signal: signal() }));
      expect(refused).toMatchObject({ kind, providerCode: code });
      expect(refused.message).toContain('nothing was sent');
      expect(simulator.requests).toHaveLength(0);
    }
    // The same messages, sent: Twilio's answers carry the same codes.
    for (const { message, code, kind } of cases) {
      expect(await failure(provider.send(message, { signal: signal() }))).toMatchObject({
        kind,
        providerCode: code,
      });
    }
  });

  it('judges a message without a sender of its own through the Messaging Service', async () => {
    const { from: _from, ...withoutSender } = optionsFor(simulator);
    const provider = await make({ ...withoutSender, messagingServiceSid: SERVICE_SID });
    await expect(provider.validate!(sms('v-service'), { signal: signal() })).resolves.toMatchObject({
      method: 'local',
    });
    expect(simulator.requests).toHaveLength(0);
  });
});
