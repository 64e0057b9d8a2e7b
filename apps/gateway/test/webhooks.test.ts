// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the config's own reference syntax, not a template.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signAcme } from '@msg/example-plugin-acme';
import { createAcmeSimulator } from '@msg/example-plugin-acme/simulator';
import { createTwilioSimulator } from '@msg/plugin-twilio/simulator';
import type { SimulatorServer } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallback } from '../src/callbacks/callback-signature.js';
import { eventually, startGateway, type TestGateway } from './helpers.js';

const ACME_KEY = 'acme-test-key';
const ACME_SECRET = 'acme-webhook-secret-0123';
const CALLBACK_SECRET = 'super-secret-value';
const TWILIO_SID = `AC${'1'.repeat(32)}`;
const TWILIO_TOKEN = 'twilio-auth-token-test';

/** A client endpoint that fails the first `failures` callbacks with 500, then accepts. */
async function flakyClient(failures: number) {
  const received: Array<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }> = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const status = received.length < failures ? 500 : 200;
    received.push({ status, headers: request.headers, body: Buffer.concat(chunks).toString() });
    response.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/msg-callbacks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('webhooks, idempotency and status callbacks', () => {
  let acme: SimulatorServer;
  let twilio: ReturnType<typeof createTwilioSimulator>;
  let gateway: TestGateway;

  beforeAll(async () => {
    acme = createAcmeSimulator({ [ACME_KEY]: ACME_SECRET });
    await acme.start();
    twilio = createTwilioSimulator({ accounts: { [TWILIO_SID]: TWILIO_TOKEN }, callbackDelayMs: 10 });
    await twilio.start();
    gateway = await startGateway({
      callbacks: {
        signingSecret: '${TEST_SECRET}',
        initialBackoffMs: 50,
        maxBackoffMs: 200,
        // The client endpoints of these tests listen on loopback, which callbacks refuse by default.
        allow: ['127.0.0.1'],
      },
      plugins: [
        {
          resolve: '@msg/example-plugin-acme',
          id: 'acme',
          options: { apiKey: ACME_KEY, baseUrl: acme.url, webhookSecret: ACME_SECRET },
        },
        {
          resolve: '@msg/plugin-twilio',
          id: 'twilio',
          options: {
            accountSid: TWILIO_SID,
            authToken: TWILIO_TOKEN,
            from: '+15005550006',
            baseUrl: twilio.url,
          },
        },
      ],
      routing: { routes: [{ id: 'sms', providers: ['acme', 'twilio'] }] },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await acme?.stop();
    await twilio?.stop();
  });

  const events = async (id: string) =>
    (await gateway.call('GET', `/v1/messages/${id}`)).body.events as unknown[];

  /** Sends through Acme and waits for the simulator's own receipt (status `sent` for this number). */
  async function sentThroughAcme(to: string) {
    acme.outcomes.set(to, 'sent');
    const sent = await gateway.call('POST', '/v1/messages?wait=true', { body: { to, text: 'hi' } });
    await eventually(async () => ((await events(sent.body.id)).length === 1 ? true : undefined));
    return sent.body as { id: string; providerMessageId: string };
  }

  function acmeWebhook(body: Record<string, unknown>, signature?: string) {
    const payload = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    return gateway.call('POST', '/webhooks/acme', {
      key: null,
      raw: payload,
      headers:
        signature === undefined
          ? { 'acme-signature': signAcme(ACME_SECRET, timestamp, payload) }
          : signature
            ? { 'acme-signature': signature }
            : {},
    });
  }

  it('stores a signed receipt once, however often it is replayed', async () => {
    const message = await sentThroughAcme('+260971100001');
    const receipt = {
      id: message.providerMessageId,
      status: 'delivered',
      reference: message.id,
      timestamp: 1_700_000_000,
    };
    expect((await acmeWebhook(receipt)).status).toBe(200);
    expect((await acmeWebhook(receipt)).status).toBe(200);
    const read = await gateway.call('GET', `/v1/messages/${message.id}`);
    expect(read.body.status).toBe('delivered');
    expect(read.body.events.map((event: { status: string }) => event.status)).toEqual(['sent', 'delivered']);
  });

  it('never moves a status backwards on a late event', async () => {
    const message = await sentThroughAcme('+260971100002');
    const base = { id: message.providerMessageId, reference: message.id };
    await acmeWebhook({ ...base, status: 'delivered', timestamp: 1_700_000_100 });
    await acmeWebhook({ ...base, status: 'accepted', timestamp: 1_700_000_050 });
    const read = await gateway.call('GET', `/v1/messages/${message.id}`);
    expect(read.body.status).toBe('delivered');
    expect(read.body.events).toHaveLength(3);
  });

  it('refuses a bad or missing signature with 401 and stores nothing', async () => {
    const message = await sentThroughAcme('+260971100003');
    const receipt = {
      id: message.providerMessageId,
      status: 'delivered',
      reference: message.id,
      timestamp: 1_700_000_000,
    };
    const forged = await acmeWebhook(
      receipt,
      signAcme('not-the-secret-at-all', Math.floor(Date.now() / 1000), JSON.stringify(receipt)),
    );
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('invalid_signature');
    expect((await acmeWebhook(receipt, '')).status).toBe(401);
    const read = await gateway.call('GET', `/v1/messages/${message.id}`);
    expect(read.body.status).toBe('sent');
    expect(read.body.events).toHaveLength(1);
  });

  it('accepts and logs a receipt for an unknown message without failing', async () => {
    const response = await acmeWebhook({
      id: 'acme_unknown',
      status: 'delivered',
      reference: 'msg_unknown',
      timestamp: 1,
    });
    expect(response.status).toBe(200);
    expect(
      gateway.logger.lines.some((line) => line.level === 'warn' && line.message.includes('unknown message')),
    ).toBe(true);
    expect((await gateway.call('GET', '/healthz', { key: null })).status).toBe(200);
  });

  it('answers 404 for a webhook to an instance that does not exist', async () => {
    expect((await gateway.call('POST', '/webhooks/nope', { key: null, raw: '{}' })).status).toBe(404);
  });

  describe('Idempotency-Key', () => {
    it('replays the first result for the same key and body, and never sends twice', async () => {
      const body = { to: '+260971200001', text: 'once' };
      const headers = { 'idempotency-key': 'order-1' };
      const first = await gateway.call('POST', '/v1/messages', { body, headers });
      const second = await gateway.call('POST', '/v1/messages', { body, headers });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body.id).toBe(first.body.id);
      expect(second.headers['idempotent-replayed']).toBe('true');
      await eventually(async () =>
        (await gateway.call('GET', `/v1/messages/${first.body.id}`)).body.dispatch === 'done'
          ? true
          : undefined,
      );
      await gateway.call('POST', '/v1/messages', { body, headers });
      const sends = acme.requests.filter(
        (request) => JSON.parse(request.body.toString()).to === '+260971200001',
      );
      expect(sends).toHaveLength(1);
    });

    it('answers 409 for the same key with another body', async () => {
      const headers = { 'idempotency-key': 'order-2' };
      await gateway.call('POST', '/v1/messages', { body: { to: '+260971200002', text: 'a' }, headers });
      const conflict = await gateway.call('POST', '/v1/messages', {
        body: { to: '+260971200002', text: 'b' },
        headers,
      });
      expect(conflict.status).toBe(409);
      expect(conflict.body.error.code).toBe('idempotency_conflict');
    });
  });

  describe('status callbacks to the client', () => {
    it('signs each status change with HMAC-SHA256 over timestamp and body', async () => {
      const client = await flakyClient(0);
      try {
        const sent = await gateway.call('POST', '/v1/messages', {
          body: { to: '+260971300001', text: 'cb', callbackUrl: client.url },
        });
        await eventually(async () => (client.received.length >= 2 ? true : undefined));
        const bodies = client.received.map((callback) => JSON.parse(callback.body));
        expect(bodies.map((body) => body.status)).toEqual(['queued', 'delivered']);
        expect(bodies[1]).toMatchObject({ type: 'message.status', id: sent.body.id, provider: 'acme' });
        for (const callback of client.received) {
          const headers = {
            timestamp: callback.headers['msg-timestamp'] as string,
            signature: callback.headers['msg-signature'] as string,
          };
          expect(headers.signature).toMatch(/^v1=[0-9a-f]{64}$/);
          expect(verifyCallback(CALLBACK_SECRET, headers, callback.body)).toBe(true);
          expect(verifyCallback('another-secret-value', headers, callback.body)).toBe(false);
          expect(verifyCallback(CALLBACK_SECRET, headers, `${callback.body} `)).toBe(false);
        }
      } finally {
        await client.close();
      }
    });

    it('retries a callback the client answered with 500', async () => {
      const client = await flakyClient(2);
      try {
        acme.outcomes.set('+260971300002', 'sent');
        await gateway.call('POST', '/v1/messages', {
          body: { to: '+260971300002', text: 'cb', callbackUrl: client.url },
        });
        await eventually(async () =>
          client.received.filter((item) => item.status === 200).length >= 2 ? true : undefined,
        );
        expect(client.received.map((item) => item.status).slice(0, 2)).toEqual([500, 500]);
        // The retried body is the one that failed, signed afresh.
        expect(client.received[2]?.body).toBe(client.received[0]?.body);
      } finally {
        await client.close();
      }
    });

    it("delivers a message's callbacks in order: a later one waits for the earlier one's retry", async () => {
      const client = await flakyClient(1);
      // Retries a second apart: the receipt's callback is queued long before the first is retried.
      const slow = await startGateway({
        callbacks: { signingSecret: '${TEST_SECRET}', initialBackoffMs: 1000, allow: ['127.0.0.1'] },
        plugins: [
          {
            resolve: '@msg/example-plugin-acme',
            id: 'acme',
            options: { apiKey: ACME_KEY, baseUrl: acme.url, webhookSecret: ACME_SECRET },
          },
        ],
      });
      try {
        const sent = await slow.call('POST', '/v1/messages', {
          body: { to: '+260971300003', text: 'cb', callbackUrl: client.url },
        });
        await eventually(async () => (client.received.length >= 3 ? true : undefined), 8000);
        const arrived = client.received.map((item) => ({ answer: item.status, ...JSON.parse(item.body) }));
        expect(arrived).toEqual([
          expect.objectContaining({ answer: 500, id: sent.body.id, sequence: 1, status: 'queued' }),
          expect.objectContaining({ answer: 200, id: sent.body.id, sequence: 1, status: 'queued' }),
          expect.objectContaining({ answer: 200, id: sent.body.id, sequence: 2, status: 'delivered' }),
        ]);
      } finally {
        await slow.stop();
        await client.close();
      }
    });
  });

  it('never logs the secrets the config referenced', () => {
    expect(JSON.stringify(gateway.logger.lines)).not.toContain(CALLBACK_SECRET);
  });

  it('delivers through Twilio: its SDK to its simulator, its signed status callbacks back to the gateway', async () => {
    const sent = await gateway.call('POST', '/v1/messages', {
      body: { to: '+260971400001', text: 'via twilio', override: { provider: 'twilio' } },
    });
    const message = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    });
    expect(message.provider).toBe('twilio');
    expect(message.providerMessageId).toMatch(/^SM/);
    expect(message.events.map((event: { providerStatus: string }) => event.providerStatus).sort()).toEqual([
      'delivered',
      'sent',
    ]);
    expect(twilio.requests.filter((request) => request.credential === TWILIO_SID).length).toBeGreaterThan(0);
  });
});
