import { createProvider, silentLogger, type WebhookRequest } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { runConformanceSuite } from '@msg/testing/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import acmePlugin, { signAcme } from '../src/index.js';
import { createAcmeSimulator, sandbox } from '../src/simulator.js';

const accounts = { 'key-one': 'secret-one-0123456789', 'key-two': 'secret-two-0123456789' };

function signedRequest(
  secret: string,
  body: object,
  timestamp = Math.floor(Date.now() / 1000),
): WebhookRequest {
  const rawBody = JSON.stringify(body);
  return {
    method: 'POST',
    url: 'https://gateway.example/webhooks/acme',
    headers: { 'content-type': 'application/json', 'acme-signature': signAcme(secret, timestamp, rawBody) },
    rawBody: new TextEncoder().encode(rawBody),
  };
}

runConformanceSuite({
  plugin: acmePlugin,
  async setup() {
    const simulator = createAcmeSimulator(accounts);
    const baseUrl = await simulator.start();
    const options = (key: keyof typeof accounts) => ({ apiKey: key, baseUrl, webhookSecret: accounts[key] });
    const event = (input: { providerMessageId: string; providerStatus: string }) => ({
      id: input.providerMessageId,
      status: input.providerStatus,
      timestamp: Math.floor(Date.now() / 1000),
    });
    return {
      simulator,
      options: options('key-one'),
      otherOptions: options('key-two'),
      credentialOf: (o) => o.apiKey,
      secrets: ['apiKey', 'webhookSecret'],
      // Acme echoes `reference` in its delivery callbacks.
      messageIdIn: {
        read: (request) =>
          (JSON.parse(Buffer.from(request.body).toString('utf8')) as { reference?: string }).reference,
      },
      message: (id) => ({ id, channel: 'sms', to: '+260971234567', text: 'conformance' }),
      errors: [
        { error: 'invalid_number', kind: 'permanent', providerCode: 'invalid_number' },
        { error: 'opted_out', kind: 'permanent', providerCode: 'opted_out' },
        { error: 'unauthorized', kind: 'configuration', providerCode: 'unauthorized' },
        { error: 'sender_not_allowed', kind: 'configuration', providerCode: 'sender_not_allowed' },
        { error: 'rate_limited', kind: 'rate-limited', providerCode: 'rate_limited' },
        { error: 'unavailable', kind: 'transient', providerCode: 'unavailable' },
      ],
      webhooks: {
        // Written from Acme's documentation, never taken from the plugin: the check compares the two.
        statuses: {
          accepted: 'queued',
          sent: 'sent',
          delivered: 'delivered',
          failed: 'failed',
          expired: 'expired',
        },
        signatureHeaders: ['acme-signature'],
        signed: (input) => signedRequest(accounts['key-one'], event(input)),
        stale: (input) =>
          signedRequest(accounts['key-one'], event(input), Math.floor(Date.now() / 1000) - 3600),
      },
      teardown: () => simulator.stop(),
    };
  },
});

describe('@msg/example-plugin-acme', () => {
  const simulator = createAcmeSimulator(accounts);
  let baseUrl: string;
  beforeAll(async () => {
    baseUrl = await simulator.start();
  });
  afterAll(() => simulator.stop());

  it('carries the rate limit wait from Retry-After', async () => {
    const provider = await createProvider(
      acmePlugin,
      { apiKey: 'key-one', baseUrl },
      { instanceId: 'acme', logger: silentLogger, now: Date.now },
    );
    simulator.failNext('rate_limited');
    await expect(
      provider.send(
        { id: 'm', channel: 'sms', to: '+260971234567', text: 'hi' },
        { signal: new AbortController().signal },
      ),
    ).rejects.toMatchObject({ kind: 'rate-limited', retryAfterMs: 3000, httpStatus: 429 });
    await provider.close();
  });

  it('sends a signed delivery callback that the plugin accepts', async () => {
    const receiver = await webhookReceiver();
    const provider = await createProvider(
      acmePlugin,
      { apiKey: 'key-two', baseUrl, webhookSecret: accounts['key-two'] },
      {
        instanceId: 'acme',
        logger: silentLogger,
        now: Date.now,
        webhookUrl: `${receiver.url}/webhooks/acme`,
      },
    );
    const result = await provider.send(
      { id: 'our-1', channel: 'sms', to: '+260971234567', text: 'hi' },
      { signal: new AbortController().signal },
    );
    const [callback] = await receiver.waitFor(1);
    const { events } = await provider.parseWebhook!(callback!);
    expect(events).toEqual([
      expect.objectContaining({
        providerMessageId: result.providerMessageId,
        messageId: 'our-1',
        status: 'delivered',
      }),
    ]);
    await provider.close();
    await receiver.close();
  });
});

describe('acme sandbox', () => {
  it('gives options that send through the simulator and call the gateway back', async () => {
    const receiver = await webhookReceiver();
    const started = await sandbox({
      instanceId: 'acme-sandbox',
      webhookUrl: `${receiver.url}/webhooks/acme-sandbox`,
    });
    const provider = await createProvider(acmePlugin, started.options, {
      instanceId: 'acme-sandbox',
      logger: silentLogger,
      now: Date.now,
    });
    await provider.send(
      { id: 'sb-1', channel: 'sms', to: '+260971234567', text: 'hi' },
      { signal: new AbortController().signal },
    );
    const [callback] = await receiver.waitFor(1);
    expect(callback?.path).toBe('/webhooks/acme-sandbox');
    expect((await provider.parseWebhook!(callback!)).events[0]?.status).toBe('delivered');
    await provider.close();
    await started.stop();
    await receiver.close();
  });
});
