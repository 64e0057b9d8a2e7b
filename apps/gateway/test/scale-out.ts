import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request } from 'undici';
import { GATEWAY_DIRECTORY, temporaryDirectory } from './helpers.js';
import { POSTGRES_URL, testSchema } from './postgres.js';

export const REDIS_URL = process.env.MSG_TEST_REDIS_URL;
export const SCALE_OUT_KEY = 'scale-out-test-key-0123456789';
export const SCALE_OUT_ADMIN_KEY = 'scale-out-admin-key-0123456789';

/** A provider simulator in the test's process: counts the sends it receives per message id. */
export interface CountingSimulator {
  url: string;
  counts: Map<string, number>;
  close(): Promise<void>;
}

export async function countingSimulator(delayMs: number): Promise<CountingSimulator> {
  const counts = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const { id } = JSON.parse(body) as { id: string };
      counts.set(id, (counts.get(id) ?? 0) + 1);
      setTimeout(() => response.end('{}'), delayMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/send`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One PostgreSQL schema and one Redis key prefix: the fleet a test starts. */
export function fleet() {
  return { schema: testSchema(), keyPrefix: `msg-test-${randomBytes(6).toString('hex')}:` };
}

/** A config file for one instance of the fleet, on the counting simulator. */
export function fleetConfig(
  shared: { schema: string; keyPrefix: string; redisUrl?: string | undefined },
  simulatorUrl: string,
  dispatch: Record<string, unknown> = {},
): string {
  const path = join(temporaryDirectory(), 'gateway.json');
  writeFileSync(
    path,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      apiKeys: [
        { id: 'load', key: SCALE_OUT_KEY, scopes: ['send', 'read'], rateLimitPerMinute: 10_000_000 },
        { id: 'ops', key: SCALE_OUT_ADMIN_KEY, scopes: ['admin'] },
      ],
      store: { driver: 'postgres', url: POSTGRES_URL, schema: shared.schema, poolSize: 6 },
      state: { driver: 'redis', url: shared.redisUrl ?? REDIS_URL, keyPrefix: shared.keyPrefix },
      dispatch: { concurrency: 8, shutdownTimeoutMs: 2000, ...dispatch },
      // Two counted providers with a migration between them, and one that always fails (its
      // breaker opens) on a route of its own.
      plugins: [
        ...['old', 'new'].map((id) => ({
          resolve: join(GATEWAY_DIRECTORY, 'test/fixtures/counting-plugin.ts'),
          id,
          options: { url: simulatorUrl },
        })),
        {
          resolve: join(GATEWAY_DIRECTORY, 'test/fixtures/http-plugin'),
          id: 'down',
          options: { url: 'http://127.0.0.1:9/', apiKey: 'k' },
        },
      ],
      routing: {
        defaults: { retry: { maxRetries: 0 }, breaker: { failureThreshold: 2 } },
        routes: [
          { id: 'flaky', match: { prefix: '+26096' }, providers: ['down', 'old'] },
          {
            id: 'sms',
            providers: ['new', 'old'],
            migration: { id: 'm', from: ['old'], to: ['new'], percentage: 100 },
          },
        ],
      },
      log: { level: 'warn' },
    }),
  );
  return path;
}

/**
 * Sends `count` messages spread over the instances, `concurrency` at a time; returns the ids
 * accepted (202). A request to an instance that died is not acknowledged, so not counted.
 */
export async function sendThrough(
  urls: () => readonly string[],
  count: number,
  concurrency: number,
  onAccepted: (id: string, total: number) => void = () => {},
): Promise<string[]> {
  const pools = new Map<string, Pool>();
  const pool = (url: string) => {
    let found = pools.get(url);
    if (!found) {
      found = new Pool(url, { connections: concurrency });
      pools.set(url, found);
    }
    return found;
  };
  const accepted: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const sequence = next++;
      const live = urls();
      const url = live[sequence % live.length] as string;
      try {
        const response = await pool(url).request({
          method: 'POST',
          path: '/v1/messages',
          headers: { authorization: `Bearer ${SCALE_OUT_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: `+2609710${String(sequence).padStart(5, '0')}`, text: 'fleet' }),
        });
        const body = (await response.body.json()) as { id?: string };
        if (response.statusCode === 202 && body.id) {
          accepted.push(body.id);
          onAccepted(body.id, accepted.length);
        }
      } catch {
        // The instance died with the request: not acknowledged, so not the gateway's to keep.
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await Promise.all([...pools.values()].map((item) => item.close()));
  return accepted;
}

export async function until(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A JSON request to one instance. */
export async function call(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  key = SCALE_OUT_ADMIN_KEY,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await request(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}
