import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import { afterEach, describe, expect, it } from 'vitest';
import zamtelPlugin, { answerError, redactPath, type ZamtelPluginOptions } from '../src/index.js';
import type { ZamtelSimulator } from '../src/simulator.js';
import {
  COPPER,
  httpOptions,
  recordingLogger,
  rejectionOf,
  signal,
  sms,
  startSimulator,
  ZED_BANK,
} from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  extra: Partial<ZamtelPluginOptions> = {},
  options: { lines?: string[]; balance?: number; account?: typeof ZED_BANK } = {},
): Promise<{ simulator: ZamtelSimulator; provider: Provider<'sms'> }> {
  const simulator = await startSimulator({ zedbank: options.balance });
  const logger = options.lines ? recordingLogger(options.lines) : silentLogger;
  const provider = (await createProvider(
    zamtelPlugin,
    { ...httpOptions(simulator, options.account ?? ZED_BANK), ...extra },
    { instanceId: 'zamtel-zm', logger, now: Date.now },
  )) as Provider<'sms'>;
  cleanups.push(
    () => simulator.stop(),
    () => provider.close(),
  );
  return { simulator, provider };
}

const PREFIX = '/api/v2.1/action/send';

describe('the request', () => {
  it('puts key, contact without +, sender id and URL-encoded message in the path of a POST', async () => {
    const { simulator, provider } = await setup();
    const result = await provider.send(sms('Your code is 123456'), { signal: signal() });
    const request = simulator.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(
      `${PREFIX}/api_key/${ZED_BANK.apiKey}/contacts/260955123456/senderId/ZEDBANK/message/Your%20code%20is%20123456`,
    );
    expect(request?.body.length).toBe(0);
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.credential).toBe('zedbank');
    expect(result.status).toBe('queued');
    expect(result.providerMessageId).toBe(`${simulator.sends[0]?.batchId}:260955123456`);
    expect(result.details).toMatchObject({ contact: '260955123456', estimatedSegments: '1' });
  });

  it('URL-encodes a Unicode message and path characters so the API reads the text back intact', async () => {
    const { simulator, provider } = await setup();
    const text = 'Muli shani? ✓ 😀 50% off/today #1 & more';
    await provider.send(sms(text, '+260955123456', 'ZB ALERTS'), { signal: signal() });
    const path = simulator.requests[0]?.path ?? '';
    expect(path).toContain('/senderId/ZB%20ALERTS/');
    expect(path.endsWith(`/message/${encodeURIComponent(text)}`)).toBe(true);
    expect(path).toContain('%E2%9C%93%20%F0%9F%98%80%2050%25%20off%2Ftoday%20%231%20%26%20more');
    expect(simulator.sends[0]).toMatchObject({
      message: text,
      senderId: 'ZB ALERTS',
      contacts: ['260955123456'],
    });
  });

  it('uses GET when configured', async () => {
    const { simulator, provider } = await setup({ method: 'GET' });
    await provider.send(sms(), { signal: signal() });
    expect(simulator.sends[0]?.method).toBe('GET');
  });

  it('refuses a number outside Zambia as permanent without a request', async () => {
    const { simulator, provider } = await setup();
    const error = await rejectionOf(provider.send(sms('hi', '+254711000001'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'UNSUPPORTED_DESTINATION' });
    expect(simulator.requests).toHaveLength(0);
  });

  it('declares no delivery receipts and offers no webhook parser', async () => {
    const { provider } = await setup();
    expect(provider.capabilities.deliveryReceipts).toBe(false);
    expect(provider.parseWebhook).toBeUndefined();
    expect('onDeliveryEvent' in provider).toBe(false);
  });
});

describe('API key redaction', () => {
  it('shows /api_key/***/ and never the key in errors and logs', async () => {
    const lines: string[] = [];
    const { simulator, provider } = await setup({ apiKey: 'zk_live_WRONG_0000000000' }, { lines });
    const refused = await rejectionOf(provider.send(sms(), { signal: signal() }));
    simulator.faultNext({ reset: true });
    const reset = await rejectionOf(provider.send(sms(), { signal: signal() }));
    simulator.failNext('rate-limited');
    const limited = await rejectionOf(provider.send(sms(), { signal: signal() }));

    expect(refused).toMatchObject({ kind: 'configuration', providerCode: 'INVALID_API_KEY' });
    expect(refused.message).toContain(
      `POST ${PREFIX}/api_key/***/contacts/260955123456/senderId/ZEDBANK/message/<`,
    );
    expect(reset.kind).toBe('ambiguous');
    expect(lines).toHaveLength(3);
    expect(lines.every((line) => line.includes('/api_key/***/'))).toBe(true);
    for (const text of [
      ...lines,
      ...[refused, reset, limited].flatMap((error) => [
        error.message,
        JSON.stringify(error),
        String(error.cause ?? ''),
      ]),
    ]) {
      expect(text).not.toContain('zk_live_WRONG_0000000000');
      expect(text).not.toContain('Your%20code');
    }
  });

  it('redactPath hides the key and the message text', () => {
    expect(redactPath(`${PREFIX}/api_key/secret%2Fkey/contacts/[1,2]/senderId/X/message/abc%20d`)).toBe(
      `${PREFIX}/api_key/***/contacts/[1,2]/senderId/X/message/<7 octets>`,
    );
  });
});

describe('batches', () => {
  it('sends a text to several numbers in one request with contacts as [a,b] and one result per message', async () => {
    const { simulator, provider } = await setup();
    const messages: SmsMessage[] = [
      sms('Meeting at 10', '+260955000001'),
      sms('Meeting at 10', '+260965000002'),
      sms('Meeting at 10', '+260975000003'),
      sms('Other text', '+260955000001'),
      sms('Meeting at 10', '+254711000001'),
    ];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.map((result) => result.messageId)).toEqual(messages.map((message) => message.id));
    expect(results.map((result) => result.ok)).toEqual([true, true, true, true, false]);
    expect(simulator.requests.map((request) => request.path.split('/contacts/')[1]?.split('/')[0])).toEqual(
      expect.arrayContaining(['[260955000001,260965000002,260975000003]', '260955000001']),
    );
    expect(simulator.requests).toHaveLength(2);
    const batchId = simulator.sends.find((send) => send.contacts.length === 3)?.batchId;
    expect(results[1]).toMatchObject({ ok: true, result: { providerMessageId: `${batchId}:260965000002` } });
    expect(results[4]).toMatchObject({
      ok: false,
      error: { kind: 'permanent', providerCode: 'UNSUPPORTED_DESTINATION' },
    });
  });

  it('splits a group into chunks of contactsPerRequest and sends a repeated number in another request', async () => {
    const { simulator, provider } = await setup({ contactsPerRequest: 2 });
    const numbers = ['+260955000001', '+260955000002', '+260955000003', '+260955000001'];
    const results = await provider.sendBatch!(
      numbers.map((to) => sms('Hello', to)),
      { signal: signal() },
    );
    expect(results.every((result) => result.ok)).toBe(true);
    const contactLists = simulator.sends.map((send) => send.contacts.join(',')).sort();
    expect(contactLists).toEqual(['260955000001,260955000002', '260955000003,260955000001'].sort());
  });

  it('fails only the chunk the API refused, with its kind', async () => {
    const { simulator, provider } = await setup();
    const results = await provider.sendBatch!(
      [
        sms('Hi', '+260955000001', 'ZEDBANK'),
        sms('Hi', '+260955000002', 'NOTMINE'),
        sms('Hi', '+260955000003', 'NOTMINE'),
      ],
      { signal: signal() },
    );
    expect(results[0]?.ok).toBe(true);
    for (const result of results.slice(1)) {
      expect(result).toMatchObject({
        ok: false,
        error: { kind: 'configuration', providerCode: 'INVALID_SENDER_ID' },
      });
    }
    expect(simulator.requests).toHaveLength(2);
  });
});

describe('error mapping', () => {
  it('maps refusals from the running API: wrong key, unapproved sender, exhausted balance', async () => {
    const { provider } = await setup({}, { balance: 1 });
    await provider.send(sms(), { signal: signal() });
    expect(await rejectionOf(provider.send(sms(), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: 'INSUFFICIENT_BALANCE',
    });
    expect(
      await rejectionOf(provider.send(sms('x', '+260955123456', 'COPPER'), { signal: signal() })),
    ).toMatchObject({
      kind: 'configuration',
      providerCode: 'INVALID_SENDER_ID',
    });
    const other = await setup({ apiKey: `${COPPER.apiKey}x` });
    expect(await rejectionOf(other.provider.send(sms(), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: 'INVALID_API_KEY',
    });
  });

  it('reports a refused connection as transient and a connection lost after the request as ambiguous', async () => {
    const { simulator, provider } = await setup();
    simulator.faultNext({ reset: true });
    expect(await rejectionOf(provider.send(sms(), { signal: signal() }))).toMatchObject({
      kind: 'ambiguous',
      providerCode: 'UND_ERR_SOCKET',
    });
    await simulator.stop();
    expect(await rejectionOf(provider.send(sms(), { signal: signal() }))).toMatchObject({
      kind: 'transient',
      providerCode: 'ECONNREFUSED',
    });
  });

  it('honours Retry-After on 429', async () => {
    const { simulator, provider } = await setup();
    simulator.failNext('rate-limited');
    const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'rate-limited', httpStatus: 429, retryAfterMs: 2000 });
  });

  const cases: Array<[number, string | undefined, string, string]> = [
    [200, 'Invalid API key', 'configuration', 'INVALID_API_KEY'],
    [401, 'Invalid API Key supplied', 'configuration', 'INVALID_API_KEY'],
    [200, 'Invalid sender ID', 'configuration', 'INVALID_SENDER_ID'],
    [400, 'Sender Id not approved', 'configuration', 'INVALID_SENDER_ID'],
    [200, 'Invalid contact(s): 26095', 'permanent', 'INVALID_CONTACT'],
    [400, 'Invalid phone number', 'permanent', 'INVALID_CONTACT'],
    [200, 'Insufficient balance', 'configuration', 'INSUFFICIENT_BALANCE'],
    [402, 'Insufficient credit, please top up', 'configuration', 'INSUFFICIENT_BALANCE'],
    [200, 'Message too long', 'permanent', 'MESSAGE_TOO_LONG'],
    [200, 'Something unexpected', 'transient', 'REJECTED'],
    [429, 'Too many requests', 'rate-limited', 'HTTP_429'],
    [500, 'Internal server error', 'transient', 'HTTP_500'],
    [502, undefined, 'transient', 'HTTP_502'],
    [503, undefined, 'transient', 'HTTP_503'],
    [404, undefined, 'permanent', 'HTTP_404'],
    [403, undefined, 'configuration', 'HTTP_403'],
  ];
  it.each(cases)('HTTP %i with %j -> %s %s', (status, text, kind, providerCode) => {
    const error = answerError({ status, headers: {}, text, request: 'POST /x', provider: 'zamtel-zm' });
    expect(error).toMatchObject({ kind, providerCode, httpStatus: status, provider: 'zamtel-zm' });
  });
});

describe('options', () => {
  it('defaults to HTTP mode against the production host and refuses unknown options', async () => {
    const context = { instanceId: 'zamtel-zm', logger: silentLogger, now: Date.now };
    const provider = await createProvider(zamtelPlugin, { apiKey: 'k', senderId: 'ZEDBANK' }, context);
    expect(provider.capabilities.deliveryReceipts).toBe(false);
    await provider.close();
    await expect(
      createProvider(zamtelPlugin, { apiKey: 'k', senderId: 'ZEDBANK', key: 1 }, context),
    ).rejects.toMatchObject({
      code: 'MSG_ERR_PLUGIN_OPTIONS',
    });
    await expect(createProvider(zamtelPlugin, { mode: 'smpp', apiKey: 'k' }, context)).rejects.toMatchObject({
      code: 'MSG_ERR_PLUGIN_OPTIONS',
    });
  });
});

describe('validate (local: the bulk API has no test mode)', () => {
  it('judges a message without a request', async () => {
    const { simulator, provider } = await setup();
    expect(provider.capabilities.validation).toBe('local');
    await expect(provider.validate!(sms('x'.repeat(161)), { signal: signal() })).resolves.toEqual({
      method: 'local',
      segments: 2,
    });
    expect(simulator.requests).toHaveLength(0);
    expect(simulator.sends).toHaveLength(0);
  });

  it('refuses what a send refuses: a number outside Zambia, a sender Zamtel HTTP cannot use', async () => {
    const { simulator, provider } = await setup();
    const foreign = sms('Your code is 123456', '+254711000001');
    const refused = await rejectionOf(provider.validate!(foreign, { signal: signal() }));
    expect(refused).toMatchObject({ kind: 'permanent', providerCode: 'UNSUPPORTED_DESTINATION' });
    expect(await rejectionOf(provider.send(foreign, { signal: signal() }))).toMatchObject({
      kind: 'permanent',
      providerCode: 'UNSUPPORTED_DESTINATION',
    });
    expect(
      await rejectionOf(
        provider.validate!(sms('Your code is 123456', '+260955123456', '+260955000000'), {
          signal: signal(),
        }),
      ),
    ).toMatchObject({ kind: 'configuration', providerCode: 'MSG_SENDER_TYPE' });
    expect(simulator.requests).toHaveLength(0);
  });
});
