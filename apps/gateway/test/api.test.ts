import { createAcmeSimulator } from '@msg/example-plugin-acme/simulator';
import type { SimulatorServer } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, API_KEY, eventually, READ_KEY, startGateway, type TestGateway } from './helpers.js';

const ACME_KEY = 'acme-test-key';
const ACME_SECRET = 'acme-webhook-secret-0123';

describe('HTTP API end to end (Acme simulator over real HTTP)', () => {
  let simulator: SimulatorServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    simulator = createAcmeSimulator({ [ACME_KEY]: ACME_SECRET });
    await simulator.start();
    gateway = await startGateway({
      server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 16 * 1024 },
      apiKeys: [
        { id: 'client', key: API_KEY, scopes: ['send', 'read'] },
        { id: 'reader', key: READ_KEY, scopes: ['read'] },
        { id: 'operator', key: ADMIN_KEY, scopes: ['admin'] },
        { id: 'slow', key: 'slow-key-0123456789abcdef', scopes: ['send'], rateLimitPerMinute: 2 },
      ],
      plugins: [
        {
          resolve: '@msg/example-plugin-acme',
          id: 'acme',
          options: { apiKey: ACME_KEY, baseUrl: simulator.url, webhookSecret: ACME_SECRET },
        },
        { resolve: '@msg/plugin-console', id: 'console', options: { silent: true } },
        { resolve: '@msg/plugin-console', id: 'mail', options: { silent: true, channel: 'email' } },
      ],
      routing: {
        routes: [
          { id: 'sms', match: { channel: 'sms' }, providers: ['acme', 'console'] },
          { id: 'email', match: { channel: 'email' }, providers: ['mail'] },
        ],
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await simulator?.stop();
  });

  it('accepts an SMS with 202, sends it through the simulator and shows the delivery receipt', async () => {
    const sent = await gateway.call('POST', '/v1/messages', {
      body: { to: '+260971234567', text: 'hello', tags: ['otp'], metadata: { order: '42' } },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ id: expect.stringMatching(/^msg_/), status: 'queued', channel: 'sms' });
    const message = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    });
    expect(message).toMatchObject({
      provider: 'acme',
      providerMessageId: expect.stringMatching(/^acme_/),
      segments: 1,
      routingReason: expect.stringContaining('route "sms"'),
      attempts: [{ number: 1, provider: 'acme', outcome: 'succeeded', latencyMs: expect.any(Number) }],
      events: [{ status: 'delivered', providerStatus: 'delivered', provider: 'acme' }],
    });
    const request = simulator.requests.find(
      (item) => JSON.parse(item.body.toString()).reference === sent.body.id,
    );
    expect(request?.credential).toBe(ACME_KEY);
  });

  it('waits for the provider in synchronous mode', async () => {
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234568', text: 'sync' },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      dispatch: 'done',
      provider: 'acme',
      attempts: [{ outcome: 'succeeded' }],
    });
  });

  it('sends an email through the email route', async () => {
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: {
        from: { email: 'app@example.com', name: 'App' },
        to: 'user@example.com',
        subject: 'Hi',
        text: 'hello',
      },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ channel: 'email', status: 'delivered', provider: 'mail' });
  });

  it('accepts a batch and reports each message', async () => {
    const sent = await gateway.call('POST', '/v1/messages/batch', {
      body: {
        messages: [
          { to: '+260971000001', text: 'one' },
          { to: '0971', text: 'bad number' },
          { to: '+260971000003', text: 'three', override: { provider: 'console' } },
        ],
      },
    });
    expect(sent.status).toBe(202);
    expect(sent.body.accepted).toBe(2);
    expect(sent.body.results[1]).toMatchObject({
      index: 1,
      error: { code: 'invalid_request', issues: [{ path: 'messages.1.to' }] },
    });
    const third = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.results[2].id}`);
      return read.body.dispatch === 'done' ? read.body : undefined;
    });
    expect(third.provider).toBe('console');
  });

  describe('bad input', () => {
    it('answers malformed JSON with 400', async () => {
      const response = await gateway.call('POST', '/v1/messages', { raw: '{"to": "+2609712' });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('malformed_json');
    });

    it('names an unknown field', async () => {
      const response = await gateway.call('POST', '/v1/messages', {
        body: { to: '+260971234567', text: 'x', priority: 'high' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.issues).toEqual([{ path: 'priority', message: 'unknown field' }]);
    });

    it('refuses an oversized body with 413', async () => {
      const response = await gateway.call('POST', '/v1/messages', {
        body: { to: '+260971234567', text: 'x'.repeat(20_000) },
      });
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
    });

    it('refuses a number that is not E.164', async () => {
      const response = await gateway.call('POST', '/v1/messages', { body: { to: '0971234567', text: 'x' } });
      expect(response.status).toBe(400);
      expect(response.body.error.issues[0].path).toBe('to');
    });

    it('refuses an email without a sender', async () => {
      const response = await gateway.call('POST', '/v1/messages', {
        body: { to: 'user@example.com', subject: 's', text: 't' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.issues).toContainEqual({ path: 'from', message: 'is required for email' });
    });

    it('refuses an override naming an unknown provider', async () => {
      const response = await gateway.call('POST', '/v1/messages', {
        body: { to: '+260971234567', text: 'x', override: { provider: 'nexmo' } },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.issues[0]).toMatchObject({
        path: 'override.provider',
        message: expect.stringContaining('unknown provider "nexmo"'),
      });
    });

    it('names a wrongly typed field', async () => {
      const response = await gateway.call('POST', '/v1/messages', { body: { to: '+260971234567', text: 5 } });
      expect(response.status).toBe(400);
      expect(response.body.error.issues[0].path).toBe('text');
    });
  });

  describe('API keys', () => {
    it('refuses a request without a key or with a wrong one', async () => {
      expect((await gateway.call('GET', '/v1/providers', { key: null })).status).toBe(401);
      const wrong = await gateway.call('GET', '/v1/providers', { key: `${API_KEY}x` });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('unauthorized');
    });

    it('checks scopes: a read key cannot send, a client key cannot administer', async () => {
      const send = await gateway.call('POST', '/v1/messages', {
        key: READ_KEY,
        body: { to: '+260971234567', text: 'x' },
      });
      expect(send.status).toBe(403);
      const halt = await gateway.call('POST', '/v1/admin/providers/console/halt');
      expect(halt.status).toBe(403);
    });

    it("does not show one key's messages to another", async () => {
      const sent = await gateway.call('POST', '/v1/messages', {
        body: { to: '+260971234567', text: 'mine' },
      });
      expect((await gateway.call('GET', `/v1/messages/${sent.body.id}`, { key: READ_KEY })).status).toBe(404);
      expect((await gateway.call('GET', `/v1/messages/${sent.body.id}`, { key: ADMIN_KEY })).status).toBe(
        200,
      );
    });

    it('rate-limits per key with 429 and Retry-After', async () => {
      const key = 'slow-key-0123456789abcdef';
      const statuses: number[] = [];
      let retryAfter: unknown;
      for (let index = 0; index < 3; index++) {
        const response = await gateway.call('POST', '/v1/messages', {
          key,
          body: { to: '+260971234567', text: 'x' },
        });
        statuses.push(response.status);
        retryAfter ??= response.headers['retry-after'];
      }
      expect(statuses).toEqual([202, 202, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // Another key is not affected.
      expect((await gateway.call('GET', '/v1/providers')).status).toBe(200);
    });
  });

  it('lists providers with breaker state, health and score', async () => {
    const response = await gateway.call('GET', '/v1/providers');
    expect(response.status).toBe(200);
    const acme = response.body.providers.find((provider: { id: string }) => provider.id === 'acme');
    expect(acme).toMatchObject({
      channel: 'sms',
      breaker: 'closed',
      halted: false,
      score: expect.any(Number),
    });
    expect(acme.health.successRate).toBe(1);
  });

  it('halts and resumes a provider as an audited admin action', async () => {
    const halted = await gateway.call('POST', '/v1/admin/providers/acme/halt', { key: ADMIN_KEY });
    expect(halted.status).toBe(200);
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'x' },
    });
    expect(sent.body.provider).toBe('console');
    const providers = await gateway.call('GET', '/v1/providers');
    expect(providers.body.providers.find((provider: { id: string }) => provider.id === 'acme').halted).toBe(
      true,
    );
    expect((await gateway.call('POST', '/v1/admin/providers/acme/resume', { key: ADMIN_KEY })).status).toBe(
      200,
    );
    expect((await gateway.call('POST', '/v1/admin/providers/nope/halt', { key: ADMIN_KEY })).status).toBe(
      404,
    );
  });

  it('serves health, readiness, the OpenAPI document and Prometheus metrics', async () => {
    expect((await gateway.call('GET', '/healthz', { key: null })).body).toEqual({ status: 'ok' });
    expect((await gateway.call('GET', '/readyz', { key: null })).status).toBe(200);
    const openapi = await gateway.call('GET', '/openapi.json', { key: null });
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.body.paths)).toContain('/v1/messages');
    const metrics = await gateway.call('GET', '/metrics', { key: null });
    expect(metrics.headers['content-type']).toContain('text/plain');
    for (const series of [
      'msg_messages_accepted_total{channel="sms"}',
      'msg_provider_sends_total{provider="acme",outcome="succeeded"}',
      'msg_provider_send_duration_seconds_bucket{le="0.005",provider="acme"}',
      'msg_breaker_state{provider="acme"} 0',
      'msg_queue_depth{state="queued"}',
      'msg_webhook_events_total{provider="acme",outcome="stored"}',
    ]) {
      expect(metrics.body).toContain(series);
    }
  });
});
