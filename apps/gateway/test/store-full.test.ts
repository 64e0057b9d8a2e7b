// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the test short.
import { join } from 'node:path';
import { createAcmeSimulator } from '@msg/example-plugin-acme/simulator';
import type { SimulatorServer } from '@msg/testing';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { StoreUnavailableError } from '../src/store/store-error.js';
import { FullDiskStore } from './fixtures/full-disk-store.js';
import {
  API_KEY,
  eventually,
  GATEWAY_DIRECTORY,
  memoryLogger,
  startGateway,
  type TestGateway,
  temporaryDirectory,
} from './helpers.js';
import { queuedSms } from './store-contract.js';

const KEY = 'acme-key-a';
const SECRET = 'acme-webhook-secret-0123';

describe('a store that cannot be written (a full disk)', () => {
  let acme: SimulatorServer;
  const running: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    acme = createAcmeSimulator({ [KEY]: SECRET });
    await acme.start();
  });
  afterEach(async () => {
    acme.reset();
    await Promise.all(running.splice(0).map((gateway) => gateway.stop()));
  });
  afterAll(() => acme.stop());

  const plugins = () => [
    {
      resolve: '@msg/example-plugin-acme',
      id: 'acme',
      options: { apiKey: KEY, baseUrl: acme.url, webhookSecret: SECRET },
    },
  ];

  async function get(url: string, path: string) {
    const response = await request(`${url}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    return { status: response.statusCode, body: (await response.body.json()) as Record<string, any> };
  }

  it('retries the outcome of a send until it lands, not ready meanwhile, and never sends it twice', async () => {
    const store = new FullDiskStore({ path: join(temporaryDirectory(), 'gateway.sqlite') });
    const gateway: TestGateway = await startGateway({ plugins: plugins() }, { store });
    running.push(gateway);
    acme.setFaults({ latencyMs: 800 });
    const sent = await gateway.call('POST', '/v1/messages', { body: { to: '+260971800001', text: 'x' } });
    await eventually(async () => {
      const ready = await gateway.call('GET', '/readyz', { key: null });
      return ready.body.queue?.inFlight === 1 ? true : undefined;
    });
    // The disk fills while the provider has the message.
    store.full = true;
    const notReady = await eventually(async () => {
      const ready = await gateway.call('GET', '/readyz', { key: null });
      return ready.status === 503 ? ready.body : undefined;
    });
    expect(notReady).toMatchObject({
      status: 'store-unavailable',
      store: { writable: false, reason: expect.stringContaining('database or disk is full') },
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await gateway.call('GET', `/v1/messages/${sent.body.id}`)).body.dispatch).toBe('in-flight');
    expect(
      gateway.logger.lines.some((line) => line.message.includes(`store the outcome of ${sent.body.id}`)),
    ).toBe(true);
    const metrics = (await gateway.call('GET', '/metrics', { key: null })).body as string;
    expect(metrics).toContain('msg_store_writable 0');

    store.full = false;
    const done = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
      return read.body.dispatch === 'done' ? read.body : undefined;
    });
    expect(done).toMatchObject({ provider: 'acme', attempts: [{ outcome: 'succeeded' }] });
    expect((await gateway.call('GET', '/readyz', { key: null })).status).toBe(200);
    expect(acme.requests.filter((item) => item.path === '/v1/sms')).toHaveLength(1);
  });

  it('starts on a full disk: waits, reports why it is not ready, and serves once the store takes writes', async () => {
    const path = join(temporaryDirectory(), 'gateway.sqlite');
    // The last run died with a message in flight.
    const before = new SqliteMessageStore({ path });
    await before.renewLease('last-run', Date.now() + 30_000, Date.now());
    await before.accept(
      queuedSms('msg_left_in_flight', { createdAt: Date.now(), updatedAt: Date.now() }),
      undefined,
      {
        instanceId: 'last-run',
      },
    );
    await before.close();

    const store = new FullDiskStore({ path });
    store.full = true;
    const loaded = parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        apiKeys: [{ id: 'client', key: API_KEY, scopes: ['send', 'read'] }],
        plugins: plugins(),
      },
      { directory: GATEWAY_DIRECTORY, env: {} },
    );
    const gateway: Gateway = createGateway(loaded, {
      store,
      logger: memoryLogger(),
      pluginConditions: ['@msg/source'],
    });
    running.push({ stop: () => gateway.stop({ timeoutMs: 1000 }) });
    let started = false;
    const starting = gateway.start().then(() => {
      started = true;
    });
    const url = await eventually(async () => gateway.url || undefined);
    const waiting = await eventually(async () => {
      const ready = await get(url, '/readyz');
      return ready.status === 503 && ready.body.store ? ready.body : undefined;
    });
    expect(waiting).toMatchObject({ status: 'starting', store: { writable: false } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toBe(false);

    store.full = false;
    await starting;
    expect((await get(url, '/readyz')).status).toBe(200);
    // Recovered by the route's rule (it fails over on ambiguous): sent again.
    const message = await eventually(async () => {
      const read = await get(url, '/v1/messages/msg_left_in_flight');
      return read.body.dispatch === 'done' ? read.body : undefined;
    });
    expect(message).toMatchObject({ provider: 'acme', possibleDuplicate: true });
  });

  it('opens a store that cannot be created for want of room once there is room, and refuses a bad path at once', async () => {
    const loaded = parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        apiKeys: [{ id: 'client', key: API_KEY, scopes: ['send', 'read'] }],
        plugins: plugins(),
      },
      { directory: GATEWAY_DIRECTORY, env: {} },
    );
    let opens = 0;
    const full = createGateway(loaded, {
      logger: memoryLogger(),
      pluginConditions: ['@msg/source'],
      store: () => {
        if (++opens < 3) {
          throw new StoreUnavailableError('cannot open gateway.sqlite: database or disk is full', {
            code: 'SQLITE_FULL',
          });
        }
        return new SqliteMessageStore({ path: ':memory:' });
      },
    });
    running.push({ stop: () => full.stop({ timeoutMs: 1000 }) });
    await full.start();
    expect(opens).toBe(3);

    const misconfigured = createGateway(loaded, {
      logger: memoryLogger(),
      pluginConditions: ['@msg/source'],
      store: () => {
        throw new StoreUnavailableError('cannot open /nowhere/gateway.sqlite: unable to open database file', {
          code: 'SQLITE_CANTOPEN',
        });
      },
    });
    await expect(misconfigured.start()).rejects.toThrow('unable to open database file');
  });
});
