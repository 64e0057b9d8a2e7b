import { createAcmeSimulator } from '@msg/example-plugin-acme/simulator';
import { createTwilioSimulator } from '@msg/plugin-twilio/simulator';
import type { SimulatorServer } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, API_KEY, startGateway, type TestGateway, twilioEntry } from './helpers.js';

const OTHER_KEY = 'other-key-0123456789abcdef';
const TWILIO_SID = `AC${'3'.repeat(32)}`;
const TWILIO_TOKEN = 'twilio-auth-token-poison';
const ACME_KEY = 'acme-key-poison';
const ACME_SECRET = 'acme-webhook-secret-0123';

const apiKeys = [
  { id: 'client', key: API_KEY, scopes: ['send', 'read'] },
  { id: 'other', key: OTHER_KEY, scopes: ['send', 'read'] },
  { id: 'operator', key: ADMIN_KEY, scopes: ['admin'] },
];

/** Every breaker of the gateway, by provider. */
async function breakers(gateway: TestGateway): Promise<Record<string, string>> {
  const providers = await gateway.call('GET', '/v1/providers', { key: ADMIN_KEY });
  return Object.fromEntries(
    providers.body.providers.map((provider: { id: string; breaker: string }) => [
      provider.id,
      provider.breaker,
    ]),
  );
}

describe('one poison message never takes a route down for everyone', () => {
  let twilio: ReturnType<typeof createTwilioSimulator>;
  let acme: SimulatorServer;
  let gateway: TestGateway | undefined;

  beforeAll(async () => {
    twilio = createTwilioSimulator({ accounts: { [TWILIO_SID]: TWILIO_TOKEN } });
    acme = createAcmeSimulator({ [ACME_KEY]: ACME_SECRET });
    await Promise.all([twilio.start(), acme.start()]);
  });
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });
  afterAll(async () => {
    await Promise.all([twilio.stop(), acme.stop()]);
  });

  it('refuses five lone-surrogate texts with 400; the next good message of another key is delivered, no breaker open', async () => {
    gateway = await startGateway({
      apiKeys,
      plugins: [
        twilioEntry({ sid: TWILIO_SID, token: TWILIO_TOKEN, baseUrl: twilio.url }),
        {
          resolve: '@msg/example-plugin-acme',
          id: 'acme',
          options: { apiKey: ACME_KEY, baseUrl: acme.url, webhookSecret: ACME_SECRET },
        },
      ],
      routing: { routes: [{ id: 'sms', providers: ['twilio', 'acme'] }] },
    });
    for (let index = 0; index < 5; index++) {
      const poison = await gateway.call('POST', '/v1/messages', {
        body: { to: '+260971234567', text: `poison ${index} \ud800` },
      });
      expect(poison.status).toBe(400);
      expect(poison.body.error).toMatchObject({
        code: 'invalid_request',
        issues: [{ path: 'text', message: expect.stringContaining('lone UTF-16 surrogate') }],
      });
    }
    expect(twilio.requests).toHaveLength(0);
    const good = await gateway.call('POST', '/v1/messages?wait=true', {
      key: OTHER_KEY,
      body: { to: '+260971234567', text: 'good' },
    });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({
      status: expect.stringMatching(/queued|sent|delivered/),
      provider: 'twilio',
    });
    expect(await breakers(gateway)).toEqual({ twilio: 'closed', acme: 'closed' });
  });

  it('fails a message whose plugin throws before sending as permanent, on one provider only; breakers stay closed', async () => {
    const fragile = (id: string) => ({
      resolve: './test/fixtures/fragile-plugin.ts',
      id,
      options: { poison: '☠' },
    });
    gateway = await startGateway({
      apiKeys,
      plugins: [fragile('fragile-a'), fragile('fragile-b')],
      routing: { routes: [{ id: 'sms', providers: ['fragile-a', 'fragile-b'] }] },
    });
    for (let index = 0; index < 5; index++) {
      const poison = await gateway.call('POST', '/v1/messages?wait=true', {
        body: { to: '+260971234567', text: `poison ${index} ☠` },
      });
      expect(poison.body).toMatchObject({
        status: 'failed',
        possibleDuplicate: false,
        error: { kind: 'permanent', code: 'MSG_ERR_PLUGIN_EXCEPTION' },
        attempts: [
          {
            provider: 'fragile-a',
            outcome: 'failed',
            error: {
              kind: 'permanent',
              code: 'MSG_ERR_PLUGIN_EXCEPTION',
              message: expect.stringContaining('TypeError'),
            },
          },
        ],
      });
      expect(poison.body.attempts).toHaveLength(1);
    }
    const good = await gateway.call('POST', '/v1/messages?wait=true', {
      key: OTHER_KEY,
      body: { to: '+260971234567', text: 'good' },
    });
    expect(good.body).toMatchObject({ status: 'delivered', provider: 'fragile-a' });
    expect(await breakers(gateway)).toEqual({ 'fragile-a': 'closed', 'fragile-b': 'closed' });
  });
});
