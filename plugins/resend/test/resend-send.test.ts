import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import type { Provider } from '@msg/core';
import { rejectionOf } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResendPluginOptions } from '../src/index.js';
import { createResendSimulator, generateResendApiKey } from '../src/simulator.js';
import { email, makeProvider, optionsFor, signal } from './helpers.js';

const simulator = createResendSimulator({
  accounts: [
    { apiKey: generateResendApiKey(), label: 'main' },
    { apiKey: generateResendApiKey(), label: 'verified-only', verifiedDomains: ['good.example'] },
    { apiKey: generateResendApiKey(), label: 'quota', dailyQuota: 1 },
    { apiKey: generateResendApiKey(), label: 'monthly', monthlyQuota: 0 },
  ],
});
const providers: Provider<'email'>[] = [];
const make = async (overrides: Partial<ResendPluginOptions> = {}, label = 'main') => {
  const provider = await makeProvider(optionsFor(simulator, simulator.account(label), overrides));
  providers.push(provider);
  return provider;
};
const lastRequest = () => simulator.requests.at(-1);
const lastBody = () => JSON.parse(lastRequest()?.body.toString('utf8') ?? 'null');

beforeAll(() => simulator.start());
afterEach(() => simulator.reset());
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('send', () => {
  it('posts the email with the Bearer key, our id as Idempotency-Key and as the msg_id tag', async () => {
    const provider = await make();
    const result = await provider.send(
      email('order-9', {
        cc: [{ email: 'cc@example.com' }],
        bcc: [{ email: 'bcc@example.com' }],
        replyTo: [{ email: 'reply@example.com', name: 'Reply Desk' }],
        html: '<p>Hi</p>',
        headers: { 'X-Campaign': 'spring' },
        tags: ['welcome', 'not a tag!'],
        metadata: { plan: 'pro' },
        attachments: [
          { filename: 'a.txt', contentType: 'text/plain', content: new TextEncoder().encode('hi') },
        ],
      }),
      { signal: signal() },
    );
    expect(result).toMatchObject({ status: 'queued', providerMessageId: simulator.emails[0]?.id });
    expect(result.details?.ratelimitRemaining).toMatch(/^\d+$/);
    const request = lastRequest();
    expect(request?.path).toBe('/emails');
    expect(request?.headers.authorization).toBe(`Bearer ${simulator.account('main').apiKey}`);
    expect(request?.headers['idempotency-key']).toBe('order-9');
    expect(request?.credential).toBe('main');
    expect(lastBody()).toEqual({
      from: 'Sender <sender@example.com>',
      to: ['Recipient <to@example.com>'],
      cc: ['cc@example.com'],
      bcc: ['bcc@example.com'],
      reply_to: ['Reply Desk <reply@example.com>'],
      subject: 'Hello',
      text: 'Plain body',
      html: '<p>Hi</p>',
      headers: { 'X-Campaign': 'spring' },
      attachments: [{ content: 'aGk=', filename: 'a.txt', content_type: 'text/plain' }],
      tags: [
        { name: 'msg_id', value: 'order-9' },
        { name: 'plan', value: 'pro' },
        { name: 'welcome', value: 'true' },
      ],
    });
  });

  it('sends a retried message once: Resend answers the same key and body with the first id', async () => {
    const provider = await make();
    const first = await provider.send(email('retry-1'), { signal: signal() });
    const second = await provider.send(email('retry-1'), { signal: signal() });
    expect(second.providerMessageId).toBe(first.providerMessageId);
    expect(simulator.emails).toHaveLength(1);
    // The same id with other content is a client bug: permanent.
    const error = await rejectionOf(
      provider.send(email('retry-1', { subject: 'Changed' }), { signal: signal() }),
    );
    expect(error).toMatchObject({
      kind: 'permanent',
      providerCode: 'invalid_idempotent_request',
      httpStatus: 409,
    });
  });

  it('hashes an id longer than the 256 characters Resend takes as a key, and leaves it out of the tags', async () => {
    const provider = await make();
    const id = 'x'.repeat(300);
    await provider.send(email(id), { signal: signal() });
    expect(lastRequest()?.headers['idempotency-key']).toMatch(/^[0-9a-f]{64}$/);
    expect(lastBody().tags).toBeUndefined();
  });

  it('hashes an id a header cannot carry instead of failing the send', async () => {
    const provider = await make();
    const result = await provider.send(email('ünï code\r\nX-Evil: 1'), { signal: signal() });
    expect(result.status).toBe('queued');
    expect(lastRequest()?.headers['idempotency-key']).toMatch(/^[0-9a-f]{64}$/);
    expect(lastRequest()?.headers['x-evil']).toBeUndefined();
  });

  it('refuses a lone surrogate (no encoding can carry it) as permanent, sending nothing', async () => {
    const provider = await make();
    const error = await rejectionOf(
      provider.send(email('surrogate', { text: 'a\udc00b' }), { signal: signal() }),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'UNENCODABLE_TEXT' });
    expect(simulator.requests).toHaveLength(0);
  });

  it('refuses more than 50 addresses in to before sending', async () => {
    const provider = await make();
    const to = Array.from({ length: 51 }, (_, index) => ({ email: `r${index}@example.com` }));
    const error = await rejectionOf(provider.send(email('crowd', { to }), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'MSG_TOO_MANY_RECIPIENTS' });
    expect(simulator.requests).toHaveLength(0);
  });

  it('honours 429 with retry-after as rate-limited, from the team bucket', async () => {
    const limited = createResendSimulator({ rateLimit: 2 });
    await limited.start();
    try {
      const provider = await makeProvider(optionsFor(limited));
      providers.push(provider);
      const outcomes = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((id) => provider.send(email(`burst-${id}`), { signal: signal() })),
      );
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      for (const outcome of refused) {
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({
          kind: 'rate-limited',
          providerCode: 'rate_limit_exceeded',
          retryAfterMs: 1000,
          httpStatus: 429,
        });
      }
    } finally {
      await limited.stop();
    }
  });

  it('maps the daily and monthly quotas to configuration (fail over, do not wait)', async () => {
    const daily = await make({}, 'quota');
    await daily.send(email('q-1'), { signal: signal() });
    const error = await rejectionOf(daily.send(email('q-2'), { signal: signal() }));
    expect(error).toMatchObject({
      kind: 'configuration',
      providerCode: 'daily_quota_exceeded',
      httpStatus: 429,
    });
    const monthly = await make({}, 'monthly');
    const again = await rejectionOf(monthly.send(email('m-1'), { signal: signal() }));
    expect(again).toMatchObject({ kind: 'configuration', providerCode: 'monthly_quota_exceeded' });
  });

  it('maps an unverified sending domain (403 validation_error) to configuration, a bad address (422) to permanent', async () => {
    const provider = await make({}, 'verified-only');
    const unverified = await rejectionOf(provider.send(email('dom-1'), { signal: signal() }));
    expect(unverified).toMatchObject({
      kind: 'configuration',
      providerCode: 'validation_error',
      httpStatus: 403,
    });
    await expect(
      provider.send(email('dom-2', { from: { email: 'me@good.example' } }), { signal: signal() }),
    ).resolves.toMatchObject({ status: 'queued' });
    const main = await make();
    const bad = await rejectionOf(
      main.send(email('bad-to', { to: [{ email: 'not-an-address' }] }), { signal: signal() }),
    );
    expect(bad).toMatchObject({ kind: 'permanent', providerCode: 'validation_error', httpStatus: 422 });
  });

  it('maps a refused connection to transient (nothing sent), and an abort to ambiguous', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const provider = await make({ baseUrl: `http://127.0.0.1:${port}` });
    const refused = await rejectionOf(provider.send(email('nowhere'), { signal: signal() }));
    expect(refused).toMatchObject({ kind: 'transient', providerCode: 'ECONNREFUSED' });
    const main = await make();
    simulator.faultNext({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    const aborted = await rejectionOf(main.send(email('hang'), { signal: controller.signal }));
    expect(aborted).toMatchObject({ kind: 'ambiguous', providerCode: 'MSG_ABORTED' });
  });

  it('reports an abort that lands while an error body is still arriving as ambiguous, not as the 500', async () => {
    const server = createHttpServer((request, response) => {
      request.resume();
      response.writeHead(500, { 'content-type': 'application/json' });
      response.write('{"statusCode":500,');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const provider = await makeProvider({
        apiKey: generateResendApiKey(),
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
      providers.push(provider);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('deadline')), 100);
      const error = await rejectionOf(provider.send(email('stalled'), { signal: controller.signal }));
      expect(error).toMatchObject({ kind: 'ambiguous', providerCode: 'MSG_ABORTED' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps each instance on its own base URL', async () => {
    const other = createResendSimulator();
    await other.start();
    try {
      const first = await make();
      const second = await makeProvider(optionsFor(other));
      providers.push(second);
      await Promise.all([
        first.send(email('one'), { signal: signal() }),
        second.send(email('two'), { signal: signal() }),
      ]);
      expect(simulator.emails.map((entry) => entry.idempotencyKey)).toEqual(['one']);
      expect(other.emails.map((entry) => entry.idempotencyKey)).toEqual(['two']);
    } finally {
      await other.stop();
    }
  });

  it('sends through its own keep-alive sockets (not the global fetch pool), and close() closes them', async () => {
    // A bare HTTP server that counts sockets: the simulator does not expose its own.
    const open = new Set<Socket>();
    const server = createHttpServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: 'c0ffee00-0000-4000-8000-000000000000' }));
      });
    });
    server.on('connection', (socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const provider = await makeProvider({
        apiKey: generateResendApiKey(),
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        maxConnections: 1,
      });
      for (const id of ['k-1', 'k-2', 'k-3']) await provider.send(email(id), { signal: signal() });
      expect(open.size).toBe(1);
      await provider.close();
      await expect.poll(() => open.size, { timeout: 1000 }).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports health, and a sending-only key as healthy', async () => {
    const provider = await make();
    await expect(provider.health!({ signal: signal() })).resolves.toEqual({ ok: true });
    const restricted = createResendSimulator({
      accounts: [{ apiKey: generateResendApiKey(), sendingOnly: true }],
    });
    await restricted.start();
    try {
      const sending = await makeProvider(optionsFor(restricted));
      providers.push(sending);
      await expect(sending.health!({ signal: signal() })).resolves.toEqual({ ok: true });
      const wrong = await makeProvider(
        optionsFor(restricted, restricted.account(), { apiKey: generateResendApiKey() }),
      );
      providers.push(wrong);
      const health = await wrong.health!({ signal: signal() });
      expect(health).toMatchObject({ ok: false, detail: expect.stringContaining('invalid_api_key') });
    } finally {
      await restricted.stop();
    }
  });
});

describe('validate (local: Resend has no test mode for a real recipient)', () => {
  it('judges an email without sending it: no request, no email kept, no event', async () => {
    const provider = await make();
    expect(provider.capabilities.validation).toBe('local');
    await expect(provider.validate!(email('v-1'), { signal: signal() })).resolves.toEqual({
      method: 'local',
    });
    expect(simulator.requests).toHaveLength(0);
    expect(simulator.emails).toHaveLength(0);
  });

  it('refuses more than 50 addresses in to, as a send does, without asking Resend', async () => {
    const provider = await make();
    const to = Array.from({ length: 51 }, (_, index) => ({ email: `user${index}@example.com` }));
    const refused = await rejectionOf(provider.validate!(email('v-many', { to }), { signal: signal() }));
    expect(refused).toMatchObject({ kind: 'permanent', providerCode: 'MSG_TOO_MANY_RECIPIENTS' });
    expect(simulator.requests).toHaveLength(0);
    expect(await rejectionOf(provider.send(email('v-many', { to }), { signal: signal() }))).toMatchObject({
      kind: 'permanent',
      providerCode: 'MSG_TOO_MANY_RECIPIENTS',
    });
  });
});
