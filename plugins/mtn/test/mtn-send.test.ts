import { createProvider, ProviderError, silentLogger } from '@msg/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mtnPlugin, { OUTBOUND_PATH, SUBSCRIPTION_PATH, TOKEN_PATH } from '../src/index.js';
import type { MtnSimulator } from '../src/simulator.js';
import {
  ACME,
  GLOBEX,
  optionsFor,
  providers,
  rejection,
  SERVICE_CODE,
  signal,
  sms,
  startSimulator,
} from './helpers.js';

let simulator: MtnSimulator;
const harness = providers();

beforeAll(async () => {
  simulator = await startSimulator();
});
afterEach(() => simulator.reset());
afterAll(async () => {
  await harness.closeAll();
  await simulator.stop();
});

const tokenRequests = () => simulator.requestsTo(TOKEN_PATH);
const sendRequests = () => simulator.requestsTo(OUTBOUND_PATH);

describe('requests on the wire', () => {
  it('fetches a client-credentials token, then posts the SMS with it as Bearer and our id as correlator', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    const result = await provider.send({ ...sms('msg-0001'), from: 'MyBrand' }, { signal: signal() });

    const [token] = tokenRequests();
    expect(token?.url).toBe(`${simulator.url}${TOKEN_PATH}?grant_type=client_credentials`);
    expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(token?.body.toString()))).toEqual({
      client_id: ACME.clientId,
      client_secret: ACME.clientSecret,
    });

    const [send] = sendRequests();
    const issued = [...simulator.tokens.keys()][0];
    expect(send?.headers.authorization).toBe(`Bearer ${issued}`);
    expect(send?.headers['content-type']).toBe('application/json');
    expect(send?.credential).toBe(ACME.clientId);
    expect(JSON.parse(send?.body.toString() ?? '')).toEqual({
      senderAddress: 'MyBrand',
      receiverAddress: ['260961000001'],
      message: 'Your code is 123456',
      clientCorrelatorId: 'msg-0001',
      serviceCode: SERVICE_CODE,
      requestDeliveryReceipt: true,
    });
    expect(result.status).toBe('queued');
    expect(result.providerMessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(result.details).toEqual({ clientCorrelatorId: 'msg-0001', mtnStatus: 'PENDING' });
  });

  it('uses the default sender and the requestDeliveryReceipt option', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator, { requestDeliveryReceipt: false }));
    await provider.send(sms('msg-0002'), { signal: signal() });
    const body = JSON.parse(sendRequests()[0]?.body.toString() ?? '');
    expect(body.senderAddress).toBe('ACME');
    expect(body.requestDeliveryReceipt).toBe(false);
  });

  it('refuses a message without a sender as configuration, before any request', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator, { from: undefined }));
    const error = await rejection(provider.send(sms('msg-0003'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'MISSING_SENDER' });
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('the token', () => {
  it('is fetched once and reused across sends', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    for (let index = 0; index < 3; index++) await provider.send(sms(`m-${index}`), { signal: signal() });
    expect(tokenRequests()).toHaveLength(1);
    expect(sendRequests()).toHaveLength(3);
    expect(new Set(sendRequests().map((request) => request.headers.authorization)).size).toBe(1);
  });

  it('is refreshed refreshMarginSeconds before it expires (injected clock)', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const provider = await harness.make(optionsFor(ACME, simulator, { refreshMarginSeconds: 60 }), {
      now: () => now,
    });
    await provider.send(sms('m-1'), { signal: signal() });
    now += (3599 - 60) * 1000 - 1; // one millisecond before the refresh point
    await provider.send(sms('m-2'), { signal: signal() });
    expect(tokenRequests()).toHaveLength(1);
    now += 1;
    await provider.send(sms('m-3'), { signal: signal() });
    expect(tokenRequests()).toHaveLength(2);
    const bearers = sendRequests().map((request) => request.headers.authorization);
    expect(bearers[2]).not.toBe(bearers[1]);
  });

  it('accepts expires_in as a number and caps the margin at half the lifetime', async () => {
    await simulator.stop();
    simulator = await startSimulator({ tokenLifetimeSeconds: 100, expiresInAsNumber: true });
    let now = 0;
    const provider = await harness.make(optionsFor(ACME, simulator), { now: () => now });
    await provider.send(sms('m-1'), { signal: signal() });
    now = 49_000;
    await provider.send(sms('m-2'), { signal: signal() });
    expect(tokenRequests()).toHaveLength(1);
    now = 50_000;
    await provider.send(sms('m-3'), { signal: signal() });
    expect(tokenRequests()).toHaveLength(2);
  });

  it('is fetched once for many concurrent sends (single flight), also on refresh', async () => {
    let now = 0;
    const provider = await harness.make(optionsFor(ACME, simulator), { now: () => now });
    const burst = (prefix: string) =>
      Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          provider.send(sms(`${prefix}-${index}`), { signal: signal() }),
        ),
      );
    await burst('a');
    expect(tokenRequests()).toHaveLength(1);
    now = 3600_000;
    await burst('b');
    expect(tokenRequests()).toHaveLength(2);
    expect(sendRequests()).toHaveLength(40);
  });

  it('after a 401 on send, is refreshed once and the send succeeds', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    await provider.send(sms('m-1'), { signal: signal() });
    simulator.expireTokens();
    const result = await provider.send(sms('m-2'), { signal: signal() });
    expect(result.providerMessageId).toBeTruthy();
    expect(tokenRequests()).toHaveLength(2);
    const bearers = sendRequests().map((request) => request.headers.authorization);
    expect(bearers).toHaveLength(3);
    expect(bearers[1]).toBe(bearers[0]);
    expect(bearers[2]).not.toBe(bearers[1]);
  });

  it('a 401 that survives the refresh is configuration, without a third attempt', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    simulator.failNext('no-api-product');
    const error = await rejection(provider.send(sms('m-1'), { signal: signal() }));
    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      kind: 'configuration',
      httpStatus: 401,
      providerCode: 'keymanagement.service.InvalidAPICallAsNoApiProductMatchFound',
    });
    expect(tokenRequests()).toHaveLength(2);
    expect(sendRequests()).toHaveLength(2);
  });

  it('refused client credentials are configuration and never leak the secret', async () => {
    const provider = await harness.make(
      optionsFor({ ...ACME, clientSecret: 'wrong-secret-value' }, simulator),
    );
    const error = (await rejection(provider.send(sms('m-1'), { signal: signal() }))) as ProviderError;
    expect(error).toMatchObject({ kind: 'configuration', httpStatus: 401, providerCode: 'invalid_client' });
    expect(error.message).toContain('token endpoint');
    expect(JSON.stringify(error.toJSON())).not.toContain('wrong-secret-value');
    expect(sendRequests()).toHaveLength(0);
  });

  it('a token endpoint outage is transient and not cached: the next send fetches again', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    simulator.tokenFailures.push('unavailable');
    const error = await rejection(provider.send(sms('m-1'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'transient', httpStatus: 503 });
    await expect(provider.send(sms('m-2'), { signal: signal() })).resolves.toMatchObject({
      status: 'queued',
    });
    expect(tokenRequests()).toHaveLength(2);
  });

  it('belongs to one instance: two accounts never share a token', async () => {
    const acme = await harness.make(optionsFor(ACME, simulator));
    const globex = await harness.make(optionsFor(GLOBEX, simulator));
    await acme.send(sms('m-1'), { signal: signal() });
    await globex.send(sms('m-2'), { signal: signal() });
    expect(sendRequests().map((request) => request.credential)).toEqual([ACME.clientId, GLOBEX.clientId]);
    const [first, second] = sendRequests().map((request) => request.headers.authorization);
    expect(first).not.toBe(second);
  });
});

describe('errors', () => {
  it('keeps the retry-after of a spike arrest, and none when MTN gives none', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    simulator.failNext('spike-arrest');
    expect(await rejection(provider.send(sms('m-1'), { signal: signal() }))).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: 2000,
      httpStatus: 429,
    });
    simulator.failNext('quota-exceeded');
    expect(await rejection(provider.send(sms('m-2'), { signal: signal() }))).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: undefined,
    });
  });

  it('turns a gateway timeout into ambiguous, saying the SMS may have gone', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    simulator.failNext('gateway-timeout');
    const error = (await rejection(provider.send(sms('m-1'), { signal: signal() }))) as ProviderError;
    expect(error.kind).toBe('ambiguous');
    expect(error.message).toContain('may have been sent');
  });

  it('maps a receiver MTN refuses to permanent with its statusCode', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    const error = await rejection(provider.send(sms('m-1', '+26012'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: '4000', httpStatus: 400 });
  });

  it('maps a sender MTN has not whitelisted to configuration', async () => {
    simulator.allowedSenderIds = ['ACME'];
    const provider = await harness.make(optionsFor(ACME, simulator));
    const error = await rejection(provider.send({ ...sms('m-1'), from: 'Other' }, { signal: signal() }));
    simulator.allowedSenderIds = undefined;
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '4030', httpStatus: 403 });
  });

  it('rejects sends after close as transient, without a request', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    await provider.close();
    expect(await rejection(provider.send(sms('m-1'), { signal: signal() }))).toMatchObject({
      kind: 'transient',
      providerCode: 'MSG_CLOSED',
    });
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('options', () => {
  const context = { instanceId: 'mtn-options', logger: silentLogger, now: Date.now };

  it('require client credentials and a service code in api mode', async () => {
    const error = (await rejection(createProvider(mtnPlugin, { clientId: 'x' }, context))) as Error;
    expect(error.message).toContain('[@msg/plugin-mtn]');
    expect(error.message).toContain('options.clientSecret: is required in api mode');
    expect(error.message).toContain('options.serviceCode: is required in api mode');
  });

  it('require the bind in smpp mode and refuse unknown keys', async () => {
    const missing = (await rejection(createProvider(mtnPlugin, { mode: 'smpp' }, context))) as Error;
    expect(missing.message).toContain('options.smpp: is required in smpp mode');
    const unknown = (await rejection(
      createProvider(mtnPlugin, { ...ACME, serviceCode: '1', apiKey: 'x' }, context),
    )) as Error;
    expect(unknown.message).toContain('apiKey');
  });

  it('create no subscription without a webhook URL', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    await provider.send(sms('m-1'), { signal: signal() });
    expect(simulator.requestsTo(SUBSCRIPTION_PATH)).toHaveLength(0);
  });
});

describe('validate (local: MTN SMS API v3 has no test mode)', () => {
  it('judges a message without a token or a send', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    expect(provider.capabilities.validation).toBe('local');
    await expect(
      provider.validate!(sms('v-1', '+260961000001', 'x'.repeat(161)), { signal: signal() }),
    ).resolves.toEqual({
      method: 'local',
      segments: 2,
    });
    expect(tokenRequests()).toHaveLength(0);
    expect(sendRequests()).toHaveLength(0);
  });

  it('refuses a receiver MTN refuses (400 4000), as a send meets it, without a request', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    const message = sms('v-short', '+1234567');
    const refused = (await rejection(provider.validate!(message, { signal: signal() }))) as ProviderError;
    expect(refused).toMatchObject({ kind: 'permanent', providerCode: '4000' });
    expect(simulator.requests).toHaveLength(0);
    expect(await rejection(provider.send(message, { signal: signal() }))).toMatchObject({
      kind: 'permanent',
      providerCode: '4000',
    });
  });

  it('refuses a message without any sender as configuration, as a send does', async () => {
    const { from: _from, ...withoutSender } = optionsFor(ACME, simulator);
    const provider = await harness.make(withoutSender);
    expect(await rejection(provider.validate!(sms('v-no-sender'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: 'MISSING_SENDER',
    });
    expect(simulator.requests).toHaveLength(0);
  });
});
