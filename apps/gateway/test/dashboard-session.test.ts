// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the tests short.

import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAcmePair } from './acme-pair.js';
import { ADMIN_KEY, API_KEY, startGateway, type TestGateway, temporaryDirectory } from './helpers.js';

const MONITOR_KEY = 'monitor-key-0123456789abcdef';
const MIGRATION = 'a-to-b';

/** A browser's view of the gateway: a cookie jar of one cookie and an optional CSRF header. */
async function browserCall(
  url: string,
  method: string,
  path: string,
  options: { cookie?: string; csrf?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await request(`${url}${path}`, {
    method: method as 'GET',
    headers: {
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...(options.csrf ? { 'x-csrf-token': options.csrf } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.body.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.statusCode, headers: response.headers, body };
}

async function signIn(url: string, key: string, headers: Record<string, string> = {}) {
  const response = await browserCall(url, 'POST', '/dashboard/api/session', { body: { key }, headers });
  const setCookie = String(response.headers['set-cookie'] ?? '');
  return { ...response, setCookie, cookie: setCookie.split(';')[0] ?? '', csrf: response.body?.csrfToken };
}

describe('dashboard sessions, cookie authentication and CSRF', () => {
  const pair = useAcmePair();
  let gateway: TestGateway;
  let time = Date.parse('2030-01-01T00:00:00Z');

  beforeAll(async () => {
    gateway = await startGateway(
      {
        server: { host: '127.0.0.1', port: 0, trustProxy: true },
        apiKeys: [
          { id: 'client', key: API_KEY, scopes: ['send', 'read'] },
          { id: 'operator', key: ADMIN_KEY, scopes: ['admin'] },
          { id: 'watcher', key: MONITOR_KEY, scopes: ['monitor'] },
        ],
        plugins: pair.plugins(),
        dashboard: { sessionTtlMs: 3_600_000, idleTimeoutMs: 600_000 },
        routing: {
          routes: [
            {
              id: 'sms',
              match: { channel: 'sms' },
              providers: ['acme-a', 'acme-b'],
              migration: { id: MIGRATION, from: ['acme-a'], to: ['acme-b'], percentage: 10 },
            },
          ],
        },
      },
      { now: () => time },
    );
  });
  afterAll(() => gateway?.stop());

  const percentage = async () =>
    (await gateway.call('GET', `/v1/migrations/${MIGRATION}`, { key: ADMIN_KEY })).body.percentage;

  it('exchanges an admin key for an httpOnly, SameSite=Strict session cookie and a CSRF token', async () => {
    const session = await signIn(gateway.url, ADMIN_KEY);
    expect(session.status).toBe(201);
    expect(session.body).toMatchObject({ keyId: 'operator', role: 'admin', csrfToken: expect.any(String) });
    expect(JSON.stringify(session.body)).not.toContain(ADMIN_KEY);
    expect(session.setCookie).toMatch(/^msg_session=[\w-]{43}; /);
    expect(session.setCookie).toContain('HttpOnly');
    expect(session.setCookie).toContain('SameSite=Strict');
    expect(session.setCookie).toContain('Path=/');
    expect(session.setCookie).toContain('Max-Age=3600');
    // Plain http: a Secure cookie would never come back.
    expect(session.setCookie).not.toContain('Secure');
    const whoAmI = await browserCall(gateway.url, 'GET', '/dashboard/api/session', {
      cookie: session.cookie,
    });
    expect(whoAmI.body).toMatchObject({ keyId: 'operator', role: 'admin', csrfToken: session.csrf });
    expect(whoAmI.headers['cache-control']).toBe('no-store');
  });

  it('marks the cookie Secure when the request came over https (through a trusted proxy)', async () => {
    const session = await signIn(gateway.url, MONITOR_KEY, { 'x-forwarded-proto': 'https' });
    expect(session.setCookie).toContain('Secure');
  });

  it('refuses a wrong key with one clear message that echoes nothing, and a client key as no operator key', async () => {
    const wrong = await signIn(gateway.url, 'not-a-key-at-all-0123456789', {
      'x-forwarded-for': '203.0.113.1',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toEqual({
      code: 'invalid_key',
      message: 'this key was not accepted: check it and try again',
    });
    expect(wrong.setCookie).toBe('');
    const client = await signIn(gateway.url, API_KEY, { 'x-forwarded-for': '203.0.113.1' });
    expect(client.status).toBe(403);
    expect(client.body.error.code).toBe('not_an_operator_key');
    expect(JSON.stringify(gateway.logger.lines)).not.toContain('not-a-key-at-all');
  });

  it('limits failed sign-ins per address: a guesser is refused before any key is looked at', async () => {
    const from = { 'x-forwarded-for': '203.0.113.9' };
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await signIn(gateway.url, `guess-${attempt}-0123456789abcdef`, from)).status).toBe(401);
    }
    const limited = await signIn(gateway.url, ADMIN_KEY, from);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('12');
    // Another address is not held back, and the limit passes with time.
    expect((await signIn(gateway.url, ADMIN_KEY, { 'x-forwarded-for': '203.0.113.10' })).status).toBe(201);
    time += 12_000;
    expect((await signIn(gateway.url, ADMIN_KEY, from)).status).toBe(201);
  });

  it('takes the cookie on the API: reads need no CSRF token, changes are refused without it', async () => {
    const { cookie, csrf } = await signIn(gateway.url, ADMIN_KEY);
    expect((await browserCall(gateway.url, 'GET', '/v1/migrations', { cookie })).status).toBe(200);
    const path = `/v1/admin/migrations/${MIGRATION}/percentage`;
    const body = { percentage: 30, reason: 'next step' };
    const missing = await browserCall(gateway.url, 'POST', path, { cookie, body });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('csrf_token_required');
    const forged = await browserCall(gateway.url, 'POST', path, { cookie, body, csrf: `${csrf}x` });
    expect(forged.status).toBe(403);
    expect(await percentage()).toBe(10);
    const audit = await gateway.call('GET', `/v1/admin/audit?subject=migration:${MIGRATION}`, {
      key: ADMIN_KEY,
    });
    expect(audit.body.entries).toEqual([]);

    const done = await browserCall(gateway.url, 'POST', path, { cookie, body, csrf });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ percentage: 30, source: 'runtime', updatedBy: 'operator' });
  });

  it('lets a monitor session read everything and change nothing: the server refuses', async () => {
    const { cookie, csrf, body } = await signIn(gateway.url, MONITOR_KEY);
    expect(body.role).toBe('monitor');
    expect((await browserCall(gateway.url, 'GET', '/v1/admin/audit', { cookie })).status).toBe(200);
    const before = await percentage();
    for (const [path, payload] of [
      [`/v1/admin/migrations/${MIGRATION}/percentage`, { percentage: 90, reason: 'monitor tries' }],
      [`/v1/admin/migrations/${MIGRATION}/emergency-stop`, { reason: 'monitor tries' }],
      ['/v1/admin/providers/acme-a/halt', { reason: 'monitor tries' }],
    ] as const) {
      const refused = await browserCall(gateway.url, 'POST', path, { cookie, csrf, body: payload });
      expect(refused.status, path).toBe(403);
      expect(refused.body.error.code).toBe('forbidden');
    }
    expect(await percentage()).toBe(before);
    const monitorEntries = await gateway.call('GET', '/v1/admin/audit?actor=watcher', { key: ADMIN_KEY });
    expect(monitorEntries.body.entries).toEqual([]);
  });

  it('prefers an Authorization header over the cookie, and needs no CSRF token with it', async () => {
    const { cookie } = await signIn(gateway.url, MONITOR_KEY);
    const withKey = await browserCall(gateway.url, 'POST', `/v1/admin/migrations/${MIGRATION}/reset`, {
      cookie,
      body: { reason: 'back to config' },
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(withKey.status).toBe(200);
    const wrongKey = await browserCall(gateway.url, 'GET', '/v1/migrations', {
      cookie,
      headers: { authorization: 'Bearer wrong-key-0123456789abcdef' },
    });
    expect(wrongKey.status).toBe(401);
  });

  it('signs out with the CSRF token: the cookie is cleared and no longer opens anything', async () => {
    const { cookie, csrf } = await signIn(gateway.url, ADMIN_KEY);
    const refused = await browserCall(gateway.url, 'DELETE', '/dashboard/api/session', { cookie });
    expect(refused.status).toBe(403);
    const out = await browserCall(gateway.url, 'DELETE', '/dashboard/api/session', { cookie, csrf });
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^msg_session=; Path=\/; Max-Age=0; HttpOnly/);
    expect((await browserCall(gateway.url, 'GET', '/v1/migrations', { cookie })).status).toBe(401);
    expect((await browserCall(gateway.url, 'GET', '/dashboard/api/session', { cookie })).status).toBe(401);
  });

  it('ends a session left idle, and any session at its end of life', async () => {
    const idle = await signIn(gateway.url, MONITOR_KEY);
    time += 600_000;
    expect((await browserCall(gateway.url, 'GET', '/v1/migrations', { cookie: idle.cookie })).status).toBe(
      401,
    );
    const busy = await signIn(gateway.url, MONITOR_KEY);
    for (let step = 0; step < 6; step++) {
      time += 540_000;
      expect((await browserCall(gateway.url, 'GET', '/v1/migrations', { cookie: busy.cookie })).status).toBe(
        200,
      );
    }
    time += 540_000;
    expect((await browserCall(gateway.url, 'GET', '/v1/migrations', { cookie: busy.cookie })).status).toBe(
      401,
    );
  });
});

describe('dashboard sessions kept in the store', () => {
  const pair = useAcmePair();

  it('survive a restart, and signing out on the next process ends them', async () => {
    const config = {
      plugins: pair.plugins(),
      store: { driver: 'sqlite', path: join(temporaryDirectory(), 'gateway.sqlite') },
    };
    const first = await startGateway(config);
    let cookie: string;
    let csrf: string;
    try {
      ({ cookie, csrf } = await signIn(first.url, ADMIN_KEY));
      expect((await browserCall(first.url, 'GET', '/dashboard/api/session', { cookie })).status).toBe(200);
    } finally {
      await first.stop();
    }
    const second = await startGateway(config);
    try {
      const session = await browserCall(second.url, 'GET', '/dashboard/api/session', { cookie });
      expect(session.status).toBe(200);
      expect(session.body.csrfToken).toBe(csrf);
      expect(
        (await browserCall(second.url, 'DELETE', '/dashboard/api/session', { cookie, csrf })).status,
      ).toBe(204);
      expect((await browserCall(second.url, 'GET', '/v1/migrations', { cookie })).status).toBe(401);
    } finally {
      await second.stop();
    }
  });
});
