// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the tests short.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webhookReceiver } from '@msg/testing';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  API_KEY,
  READ_KEY,
  startChild,
  startGateway,
  type TestGateway,
  temporaryDirectory,
} from './helpers.js';

const MIGRATION = 'old-to-new';

/** Two console sinks, one legacy and one new, on one route with a migration; a fixture that fails for `broken`. */
function config(storePath?: string, migration: Record<string, unknown> = {}) {
  return {
    ...(storePath ? { store: { driver: 'sqlite', path: storePath } } : {}),
    plugins: [
      { resolve: '@msg/plugin-console', id: 'old', options: { silent: true } },
      { resolve: '@msg/plugin-console', id: 'new', options: { silent: true } },
      { resolve: '@msg/plugin-console', id: 'spare', options: { silent: true } },
    ],
    routing: {
      routes: [
        {
          id: 'sms',
          providers: ['old', 'new', 'spare'],
          migration: { id: MIGRATION, from: ['old'], to: ['new'], percentage: 20, ...migration },
        },
      ],
    },
  };
}

const admin = (gateway: TestGateway, path: string, body?: unknown) =>
  gateway.call('POST', path, { key: ADMIN_KEY, ...(body === undefined ? {} : { body }) });
const read = async (gateway: TestGateway) =>
  (await gateway.call('GET', `/v1/migrations/${MIGRATION}`, { key: ADMIN_KEY })).body;

describe('durable, audited migration control', () => {
  const gateways: TestGateway[] = [];
  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.stop();
  });
  const start = async (raw: Record<string, unknown>) => {
    const gateway = await startGateway(raw);
    gateways.push(gateway);
    return gateway;
  };

  it('keeps a manual percentage, a halt and an emergency stop across a restart, with who, why, before and after', async () => {
    const store = join(temporaryDirectory(), 'gateway.sqlite');
    const first = await start(config(store));
    expect(await read(first)).toMatchObject({ mode: 'gradual', percentage: 20, source: 'config' });
    const set = await admin(first, `/v1/admin/migrations/${MIGRATION}/percentage`, {
      percentage: 60,
      reason: 'carrier asked',
    });
    expect(set.body).toMatchObject({
      percentage: 60,
      source: 'runtime',
      updatedBy: 'operator',
      reason: 'carrier asked',
    });
    expect((await admin(first, '/v1/admin/providers/spare/halt', { reason: 'maintenance' })).status).toBe(
      200,
    );
    await first.stop();
    gateways.length = 0;

    const second = await start(config(store));
    expect(await read(second)).toMatchObject({ mode: 'gradual', percentage: 60, source: 'runtime' });
    const providers = (await second.call('GET', '/v1/providers')).body.providers;
    expect(providers.find((provider: any) => provider.id === 'spare').halted).toBe(true);
    await admin(second, `/v1/admin/migrations/${MIGRATION}/emergency-stop`, { reason: 'complaints' });
    await second.stop();
    gateways.length = 0;

    const third = await start(config(store));
    expect(await read(third)).toMatchObject({
      mode: 'rolled-back',
      percentage: 60,
      resumeTo: { mode: 'gradual', percentage: 60 },
    });
    const sent = await third.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'x', override: { provider: 'new' } },
    });
    expect(sent.body.provider).toBe('old');
    const audit = (
      await third.call('GET', `/v1/admin/audit?subject=migration:${MIGRATION}`, { key: ADMIN_KEY })
    ).body.entries;
    expect(
      audit.map((entry: any) => [entry.action, entry.actor, entry.reason, entry.before, entry.after]),
    ).toEqual([
      [
        'migration.emergency-stop',
        'operator',
        'complaints',
        { mode: 'gradual', percentage: 60, source: 'runtime' },
        { mode: 'rolled-back', percentage: 60, source: 'runtime' },
      ],
      [
        'migration.percentage',
        'operator',
        'carrier asked',
        { mode: 'gradual', percentage: 20, source: 'config' },
        { mode: 'gradual', percentage: 60, source: 'runtime' },
      ],
    ]);
    // Resume goes back to what was in force; reset to the config.
    expect(
      (await admin(third, `/v1/admin/migrations/${MIGRATION}/resume`, { reason: 'fixed' })).body,
    ).toMatchObject({ mode: 'gradual', percentage: 60 });
    expect(
      (await admin(third, `/v1/admin/migrations/${MIGRATION}/reset`, { reason: 'back to config' })).body,
    ).toMatchObject({ percentage: 20, source: 'config' });
  });

  it('refuses bad input with the field and the reason, and changes nothing', async () => {
    const gateway = await start(config(undefined, { mode: 'off' }));
    const cases: Array<[string, unknown, number, RegExp]> = [
      [`/v1/admin/migrations/nope/percentage`, { percentage: 5, reason: 'x' }, 404, /no migration nope/],
      [`/v1/admin/providers/nope/halt`, { reason: 'x' }, 404, /no provider nope/],
      [`/v1/admin/migrations/${MIGRATION}/percentage`, { percentage: 150, reason: 'x' }, 400, /percentage/],
      [`/v1/admin/migrations/${MIGRATION}/percentage`, { percentage: 10 }, 400, /reason/],
      [`/v1/admin/migrations/${MIGRATION}/emergency-stop`, {}, 400, /reason/],
      [
        `/v1/admin/migrations/${MIGRATION}/mode`,
        { mode: 'complete', reason: 'x' },
        409,
        /cannot go from off to complete/,
      ],
      [`/v1/admin/migrations/${MIGRATION}/resume`, { reason: 'x' }, 409, /is not rolled back/],
      [`/v1/admin/migrations/${MIGRATION}/plan/pause`, { reason: 'x' }, 404, /has no plan/],
    ];
    for (const [path, body, status, message] of cases) {
      const response = await admin(gateway, path, body);
      expect(response.status, path).toBe(status);
      expect(response.body.error.message, path).toMatch(message);
    }
    const badPlans: Array<[unknown, RegExp]> = [
      [
        { steps: [{ percentage: 50 }, { percentage: 20 }] },
        /plan\.steps\.1\.percentage: steps must increase/,
      ],
      [
        { steps: [{ percentage: 50 }], analysis: { checks: ['to.speed > 1'] } },
        /plan\.analysis\.checks\.0: unknown metric "speed"/,
      ],
    ];
    for (const [plan, message] of badPlans) {
      const response = await gateway.call('PUT', `/v1/admin/migrations/${MIGRATION}/plan`, {
        key: ADMIN_KEY,
        body: { plan, reason: 'x' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toMatch(message);
    }
    // A client key or a monitor-less key changes nothing.
    expect(
      (
        await gateway.call('POST', `/v1/admin/migrations/${MIGRATION}/emergency-stop`, {
          key: API_KEY,
          body: { reason: 'x' },
        })
      ).status,
    ).toBe(403);
    expect((await gateway.call('GET', '/v1/admin/audit', { key: READ_KEY })).status).toBe(403);
    expect(await read(gateway)).toMatchObject({ mode: 'off', source: 'config', plan: null });
    expect((await gateway.call('GET', '/v1/admin/audit', { key: ADMIN_KEY })).body.entries).toEqual([]);
  });

  it('keeps a rolled-back migration rolled back: a plan does not start until it is resumed', async () => {
    const gateway = await start(config());
    await admin(gateway, `/v1/admin/migrations/${MIGRATION}/emergency-stop`, { reason: 'complaints' });
    const plan = { steps: [{ percentage: 10, hold: '1h' }, { percentage: 100 }] };
    const refused = await gateway.call('PUT', `/v1/admin/migrations/${MIGRATION}/plan`, {
      key: ADMIN_KEY,
      body: { plan, reason: 'try again' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('resume it before starting a plan');
    expect(await read(gateway)).toMatchObject({ mode: 'rolled-back', plan: null });
    await admin(gateway, `/v1/admin/migrations/${MIGRATION}/resume`, { reason: 'fixed' });
    const started = await gateway.call('PUT', `/v1/admin/migrations/${MIGRATION}/plan`, {
      key: ADMIN_KEY,
      body: { plan, reason: 'try again' },
    });
    expect(started.body).toMatchObject({
      mode: 'gradual',
      percentage: 10,
      plan: { phase: 'progressing', origin: 'api' },
    });
  });

  it('off never tries the new side, not even when the old fails, unless the config allows it', async () => {
    // Nothing listens on port 9: every send to `old` is refused.
    const failing = {
      resolve: './test/fixtures/http-plugin',
      id: 'old',
      options: { url: 'http://127.0.0.1:9/', apiKey: 'k' },
    };
    const gateway = await start({
      ...config(undefined, { mode: 'off' }),
      plugins: [failing, ...config().plugins.slice(1)],
    });
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'x' },
    });
    expect(sent.body.provider).toBe('spare');
    expect(sent.body.attempts.map((attempt: any) => attempt.provider)).not.toContain('new');
    const route = await gateway.call('GET', '/v1/route?to=%2B260971234567&down=old', { key: ADMIN_KEY });
    expect(route.body.chain.map((item: any) => item.provider)).toEqual(['spare']);
    expect(route.body.excluded).toEqual([{ provider: 'new', reason: 'migration-side' }]);
    const allowed = await start({ ...config(undefined, { mode: 'off', crossSideFailover: 'always' }) });
    const chain = (await allowed.call('GET', '/v1/route?to=%2B260971234567&down=old', { key: ADMIN_KEY }))
      .body.chain;
    expect(chain.map((item: any) => item.provider)).toEqual(['new', 'spare']);
  });
});

describe('alerts', () => {
  it('tells the operators when a breaker opens, signed, through the outbox', async () => {
    const receiver = await webhookReceiver();
    const gateway = await startGateway({
      plugins: [
        {
          resolve: './test/fixtures/http-plugin',
          id: 'down',
          options: { url: 'http://127.0.0.1:9/', apiKey: 'k' },
        },
        { resolve: '@msg/plugin-console', id: 'spare', options: { silent: true } },
      ],
      routing: {
        defaults: { retry: { maxRetries: 0 }, breaker: { failureThreshold: 2 } },
        routes: [{ id: 'sms', providers: ['down', 'spare'] }],
      },
      alerts: { endpoints: [{ url: `${receiver.url}/ops`, events: ['breaker-opened'] }] },
    });
    try {
      for (let index = 0; index < 3; index++) {
        await gateway.call('POST', '/v1/messages?wait=true', {
          body: { to: '+260971234567', text: `x${index}` },
        });
      }
      const [alert] = await receiver.waitFor(1);
      const body = JSON.parse(Buffer.from(alert?.rawBody ?? []).toString());
      expect(body).toMatchObject({ type: 'msg.alert', event: 'breaker-opened', subject: 'provider:down' });
      expect(alert?.headers['msg-signature']).toMatch(/^v1=/);
    } finally {
      await gateway.stop();
      await receiver.close();
    }
  });
});

describe('control state after kill -9', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('comes back as it was: the plan at its step, a manual percentage, an emergency stop', async () => {
    const directory = temporaryDirectory();
    const file = join(directory, 'gateway.json');
    writeFileSync(
      file,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        apiKeys: [{ id: 'operator', key: ADMIN_KEY, scopes: ['admin'] }],
        ...config(join(directory, 'gateway.sqlite'), {
          percentage: 0,
          plan: {
            steps: [{ percentage: 5, hold: '1h' }, { percentage: 50 }],
            analysis: { checks: ['to.deliveredRate >= 0.9'] },
          },
        }),
        log: { level: 'warn' },
      }),
    );
    const call = async (url: string, method: 'GET' | 'POST', path: string, body?: unknown) => {
      const response = await request(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return (await response.body.json()) as any;
    };
    const first = await startChild(file);
    children.push(first.process);
    expect(await call(first.url, 'GET', `/v1/migrations/${MIGRATION}`)).toMatchObject({
      percentage: 5,
      plan: { phase: 'progressing', step: 1 },
    });
    await call(first.url, 'POST', `/v1/admin/migrations/${MIGRATION}/plan/pause`, {
      reason: 'checking a carrier',
    });
    await call(first.url, 'POST', `/v1/admin/migrations/${MIGRATION}/percentage`, {
      percentage: 30,
      reason: 'by hand',
    });
    first.process.kill('SIGKILL');
    await first.exited;

    const second = await startChild(file);
    children.push(second.process);
    expect(await call(second.url, 'GET', `/v1/migrations/${MIGRATION}`)).toMatchObject({
      percentage: 30,
      source: 'runtime',
      plan: { phase: 'paused', step: 1, reason: 'checking a carrier' },
    });
    await call(second.url, 'POST', `/v1/admin/migrations/${MIGRATION}/emergency-stop`, {
      reason: 'complaints',
    });
    second.process.kill('SIGKILL');
    await second.exited;

    const third = await startChild(file);
    children.push(third.process);
    expect(await call(third.url, 'GET', `/v1/migrations/${MIGRATION}`)).toMatchObject({
      mode: 'rolled-back',
      plan: { phase: 'aborted' },
    });
  }, 60_000);
});
