// Scale-out, measured from outside in one run: accept + dispatch throughput of one gateway on
// SQLite (the anchor), one on PostgreSQL, and two and three on PostgreSQL + Redis, the load spread
// over the instances; the time from a control change on one instance to its effect on the others;
// and what a token bucket shared through Redis costs per message against the in-memory one. Every
// gateway runs in its own process on the console sink (no simulator: the store and the fleet are
// what is measured). Needs PostgreSQL and Redis (MSG_BENCH_POSTGRES_URL / MSG_BENCH_REDIS_URL, else
// the test servers' variables, else the local defaults). The last line printed is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryRouterStateStore } from '@msg/core';
import { RedisRouterStateStore } from '@msg/state-redis';
import pg from 'pg';
import { Pool } from 'undici';

const POSTGRES_URL =
  process.env.MSG_BENCH_POSTGRES_URL ??
  process.env.MSG_TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL =
  process.env.MSG_BENCH_REDIS_URL ?? process.env.MSG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'bench-key-0123456789abcdef';
const ADMIN_KEY = 'bench-admin-key-0123456789';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 40);
const TAKES = Number(process.env.BENCH_TAKES ?? 5000);
const here = dirname(fileURLToPath(import.meta.url));
const gatewayDirectory = join(here, '../../../apps/gateway');
const work = mkdtempSync(join(tmpdir(), 'msg-bench-scale-out-'));

interface Instance {
  url: string;
  child: ChildProcess;
  pool: Pool;
}

function config(name: string, store: Record<string, unknown>, state: Record<string, unknown>): string {
  const path = join(work, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      apiKeys: [
        { id: 'bench', key: API_KEY, scopes: ['send', 'read'], rateLimitPerMinute: 100_000_000 },
        { id: 'ops', key: ADMIN_KEY, scopes: ['admin'] },
      ],
      store,
      state,
      plugins: [
        { resolve: '@msg/plugin-console', id: 'old', options: { silent: true } },
        { resolve: '@msg/plugin-console', id: 'new', options: { silent: true } },
      ],
      routing: {
        routes: [
          {
            id: 'sms',
            providers: ['new', 'old'],
            migration: { id: 'm', from: ['old'], to: ['new'], percentage: 0 },
          },
        ],
      },
      retention: { finishedAfterMs: null },
      log: { level: 'error' },
    }),
  );
  return path;
}

async function startInstance(path: string): Promise<Instance> {
  const child = spawn(
    process.execPath,
    ['--conditions=@msg/source', '--import', 'tsx', 'src/cli.ts', 'start', '--config', path],
    { cwd: gatewayDirectory, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${output}`)));
  });
  return { url, child, pool: new Pool(url, { connections: CONCURRENCY }) };
}

async function stopAll(instances: readonly Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async (instance) => {
      await instance.pool.close();
      const exited = new Promise((resolve) => instance.child.once('exit', resolve));
      instance.child.kill('SIGTERM');
      await exited;
    }),
  );
}

async function json<T>(pool: Pool, path: string, method: 'GET' | 'POST' = 'GET', body?: unknown): Promise<T> {
  const response = await pool.request({
    method,
    path,
    headers: {
      authorization: `Bearer ${ADMIN_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.body.json()) as T;
}

/** A counter's total over its label sets, from the Prometheus text. */
async function counter(pool: Pool, name: string): Promise<number> {
  const response = await pool.request({ method: 'GET', path: '/metrics' });
  let total = 0;
  for (const line of (await response.body.text()).split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) total += Number(line.split(' ').at(-1));
  }
  return total;
}

const dispatched = async (instances: readonly Instance[]) =>
  (
    await Promise.all(instances.map((instance) => counter(instance.pool, 'msg_messages_dispatched_total')))
  ).reduce((sum, value) => sum + value, 0);

interface Round {
  acceptedPerSecond: number;
  deliveredEndToEndPerSecond: number;
}

/** MESSAGES POSTs at CONCURRENCY, round-robin over the instances; then until all are dispatched. */
async function round(instances: readonly Instance[]): Promise<Round> {
  const before = await dispatched(instances);
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < MESSAGES) {
      const index = next++;
      const instance = instances[index % instances.length] as Instance;
      const response = await instance.pool.request({
        method: 'POST',
        path: '/v1/messages',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: `+26097${String(index).padStart(7, '0')}`, text: 'benchmark message' }),
      });
      await response.body.dump();
      if (response.statusCode === 202) accepted++;
      else throw new Error(`HTTP ${response.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const loadSeconds = (performance.now() - started) / 1000;
  while ((await dispatched(instances)) - before < accepted)
    await new Promise((resolve) => setTimeout(resolve, 10));
  const endToEnd = (performance.now() - started) / 1000;
  return { acceptedPerSecond: accepted / loadSeconds, deliveredEndToEndPerSecond: accepted / endToEnd };
}

const median = (values: number[]) =>
  [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)] ?? 0;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * p) / 100) - 1)] ?? 0;
};

async function withSchema<T>(run: (schema: string) => Promise<T>): Promise<T> {
  const schema = `msg_bench_${randomBytes(5).toString('hex')}`;
  try {
    return await run(schema);
  } finally {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

interface Setup {
  name: string;
  instances: number;
  store: 'sqlite' | 'postgres';
  redis: boolean;
  synchronousCommit?: 'on' | 'off';
}

const SETUPS: Setup[] = [
  { name: 'sqlite x1', instances: 1, store: 'sqlite', redis: false },
  { name: 'postgres x1', instances: 1, store: 'postgres', redis: false },
  { name: 'postgres+redis x2', instances: 2, store: 'postgres', redis: true },
  { name: 'postgres+redis x3', instances: 3, store: 'postgres', redis: true },
  { name: 'postgres x1 async', instances: 1, store: 'postgres', redis: false, synchronousCommit: 'off' },
  { name: 'postgres+redis x3 async', instances: 3, store: 'postgres', redis: true, synchronousCommit: 'off' },
];

async function throughput(setup: Setup): Promise<Round & { rounds: Round[] }> {
  return withSchema(async (schema) => {
    const prefix = `msg-bench-${randomBytes(5).toString('hex')}:`;
    const path = config(
      setup.name.replace(/\W+/g, '-'),
      setup.store === 'sqlite'
        ? { driver: 'sqlite', path: join(work, `${schema}.sqlite`) }
        : {
            driver: 'postgres',
            url: POSTGRES_URL,
            schema,
            poolSize: 20,
            synchronousCommit: setup.synchronousCommit ?? 'on',
          },
      setup.redis ? { driver: 'redis', url: REDIS_URL, keyPrefix: prefix } : { driver: 'memory' },
    );
    // The first starts alone (it creates the schema); the others join it.
    const first = await startInstance(path);
    const instances = [
      first,
      ...(await Promise.all(Array.from({ length: setup.instances - 1 }, () => startInstance(path)))),
    ];
    try {
      await round(instances); // warm-up
      const rounds: Round[] = [];
      for (let index = 0; index < ROUNDS; index++) rounds.push(await round(instances));
      return {
        acceptedPerSecond: median(rounds.map((item) => item.acceptedPerSecond)),
        deliveredEndToEndPerSecond: median(rounds.map((item) => item.deliveredEndToEndPerSecond)),
        rounds,
      };
    } finally {
      await stopAll(instances);
    }
  });
}

/** From the change request sent to A until B and C both route by it (polled every 2 ms). */
async function propagation(): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; changes: number }> {
  return withSchema(async (schema) => {
    const path = config(
      'propagation',
      { driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 5 },
      {
        driver: 'redis',
        url: REDIS_URL,
        keyPrefix: `msg-bench-${randomBytes(5).toString('hex')}:`,
      },
    );
    const first = await startInstance(path);
    const instances = [first, ...(await Promise.all([startInstance(path), startInstance(path)]))];
    const [a, ...others] = instances as [Instance, Instance, Instance];
    const choice = async (instance: Instance) =>
      (await json<{ chain: Array<{ provider: string }> }>(instance.pool, '/v1/route?to=%2B260971234567'))
        .chain[0]?.provider;
    const times: number[] = [];
    try {
      for (let index = 0; index < CHANGES; index++) {
        const percentage = index % 2 === 0 ? 100 : 0;
        const expected = percentage === 100 ? 'new' : 'old';
        const started = performance.now();
        await json(a.pool, '/v1/admin/migrations/m/percentage', 'POST', { percentage, reason: 'benchmark' });
        const waiting = new Set(others);
        while (waiting.size > 0) {
          for (const instance of [...waiting])
            if ((await choice(instance)) === expected) waiting.delete(instance);
          if (waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, 2));
          if (performance.now() - started > 10_000)
            throw new Error('a control change did not spread in 10 s');
        }
        times.push(performance.now() - started);
      }
    } finally {
      await stopAll(instances);
    }
    return {
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      maxMs: Math.max(...times),
      changes: CHANGES,
    };
  });
}

/** One token per message: in memory, and from the bucket shared through Redis (one at a time, and CONCURRENCY at once). */
async function tokenBucket() {
  const limit = { perSecond: 1_000_000, burst: 1_000_000 };
  const memory = new MemoryRouterStateStore();
  let started = performance.now();
  for (let index = 0; index < TAKES; index++) memory.takeToken('rate:bench', limit, Date.now());
  const memoryMicroseconds = ((performance.now() - started) * 1000) / TAKES;
  const redis = await RedisRouterStateStore.connect({
    url: REDIS_URL,
    keyPrefix: `msg-bench-${randomBytes(5).toString('hex')}:`,
  });
  try {
    for (let index = 0; index < 200; index++) await redis.takeToken('rate:bench', limit, Date.now());
    started = performance.now();
    for (let index = 0; index < TAKES; index++) await redis.takeToken('rate:bench', limit, Date.now());
    const sequentialMicroseconds = ((performance.now() - started) * 1000) / TAKES;
    let next = 0;
    started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < TAKES) await redis.takeToken('rate:bench', limit, Date.now());
      }),
    );
    const concurrentMicroseconds = ((performance.now() - started) * 1000) / TAKES;
    return {
      memoryMicroseconds,
      redisSequentialMicroseconds: sequentialMicroseconds,
      redisConcurrentMicroseconds: concurrentMicroseconds,
      addedPerMessageMicroseconds: sequentialMicroseconds - memoryMicroseconds,
    };
  } finally {
    await redis.close();
  }
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * The anchor for the database: one-row INSERTs, each its own commit, at CONCURRENCY over a pool of
 * 20, as fast as this PostgreSQL (and its disk's flushes) takes them.
 */
async function postgresInserts(synchronousCommit: 'on' | 'off'): Promise<number> {
  const pool = new pg.Pool({
    connectionString: POSTGRES_URL,
    max: 20,
    options: `-c synchronous_commit=${synchronousCommit}`,
  });
  const table = `msg_bench_${randomBytes(5).toString('hex')}`;
  await pool.query(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, payload TEXT NOT NULL)`);
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < MESSAGES) {
          const index = next++;
          await pool.query(`INSERT INTO ${table} (id, payload) VALUES ($1, $2)`, [
            String(index),
            'benchmark message',
          ]);
        }
      }),
    );
    return MESSAGES / ((performance.now() - started) / 1000);
  } finally {
    await pool.query(`DROP TABLE ${table}`);
    await pool.end();
  }
}

const inserts = { on: await postgresInserts('on'), off: await postgresInserts('off') };
console.log(
  `anchor: PostgreSQL one-row commits at ${CONCURRENCY}: ${Math.round(inserts.on)}/s (synchronous_commit on), ${Math.round(inserts.off)}/s (off)`,
);

const results: Record<string, Round> = {};
for (const setup of SETUPS) {
  const measured = await throughput(setup);
  results[setup.name] = measured;
  console.log(
    `${setup.name.padEnd(20)} accepted ${Math.round(measured.acceptedPerSecond)}/s, delivered end to end ${Math.round(measured.deliveredEndToEndPerSecond)}/s` +
      ` (rounds: ${measured.rounds.map((item) => Math.round(item.deliveredEndToEndPerSecond)).join(', ')})`,
  );
}
const spread = await propagation();
console.log(
  `control change on A -> effect on B and C: p50 ${round1(spread.p50Ms)} ms, p99 ${round1(spread.p99Ms)} ms, max ${round1(spread.maxMs)} ms over ${spread.changes} changes`,
);
const bucket = await tokenBucket();
console.log(
  `token bucket per message: memory ${round1(bucket.memoryMicroseconds)} µs, Redis ${round1(bucket.redisSequentialMicroseconds)} µs one at a time, ${round1(bucket.redisConcurrentMicroseconds)} µs each at ${CONCURRENCY} at once`,
);
const anchor = results['sqlite x1'] as Round;
const ratio = (name: string, key: keyof Round) =>
  Math.round(((results[name] as Round)[key] / anchor[key]) * 100) / 100;
console.log(
  JSON.stringify({
    benchmark: 'scale-out',
    messages: MESSAGES,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    throughput: Object.fromEntries(
      Object.entries(results).map(([name, value]) => [
        name,
        {
          acceptedPerSecond: Math.round(value.acceptedPerSecond),
          deliveredEndToEndPerSecond: Math.round(value.deliveredEndToEndPerSecond),
          acceptedVsSqlite: ratio(name, 'acceptedPerSecond'),
          deliveredVsSqlite: ratio(name, 'deliveredEndToEndPerSecond'),
          ...(name.startsWith('postgres')
            ? {
                deliveredPerPostgresCommit:
                  Math.round(
                    (value.deliveredEndToEndPerSecond / (name.endsWith('async') ? inserts.off : inserts.on)) *
                      100,
                  ) / 100,
              }
            : {}),
        },
      ]),
    ),
    postgresCommitsPerSecond: {
      synchronousCommitOn: Math.round(inserts.on),
      synchronousCommitOff: Math.round(inserts.off),
    },
    controlPropagationMs: {
      p50: round1(spread.p50Ms),
      p99: round1(spread.p99Ms),
      max: round1(spread.maxMs),
      goalMs: 1000,
    },
    tokenBucketMicrosecondsPerMessage: {
      memory: round1(bucket.memoryMicroseconds),
      redis: round1(bucket.redisSequentialMicroseconds),
      redisAt64: round1(bucket.redisConcurrentMicroseconds),
      added: round1(bucket.addedPerMessageMicroseconds),
    },
  }),
);
process.exit(0);
