// The send path with a migration plan running, over a store already holding 1,000,000 messages,
// against the same run without a plan; then the time from an emergency stop's 200 to the first
// message routed to `from`. The gateway runs in its own process; this one generates the load.
// The last line printed is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { prefill } from './prefill.js';

const API_KEY = 'bench-key-0123456789abcdef';
const STORED = Number(process.env.BENCH_STORED ?? 1_000_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'msg-bench-migrations-'));

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** The gateway process's CPU seconds so far (user + system), from /proc (Linux). */
function gatewayCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

interface Server {
  url: string;
  child: ChildProcess;
}

async function startGateway(storePath: string, mode: 'plan' | 'none'): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--conditions=@msg/source', '--import', 'tsx', join(here, 'server.ts'), storePath, mode],
    {
      cwd: join(here, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((candidate) => candidate.startsWith('{"url"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
  return { url, child };
}

let sent = 0;
async function send(pool: Pool): Promise<number> {
  const index = sent++;
  const response = await pool.request({
    method: 'POST',
    path: '/v1/messages',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      to: `+26096${String(index % 10_000_000).padStart(7, '0')}`,
      text: 'benchmark message',
    }),
  });
  await response.body.dump();
  if (response.statusCode !== 202) throw new Error(`HTTP ${response.statusCode}`);
  return index;
}

async function drained(pool: Pool): Promise<void> {
  for (;;) {
    const response = await pool.request({ method: 'GET', path: '/readyz' });
    const body = (await response.body.json()) as { queue?: { queued: number; inFlight: number } };
    if (body.queue && body.queue.queued === 0 && body.queue.inFlight === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Accepted per second (every 202 in), dispatched per second (until the queue is empty), and the
 * gateway's CPU per message over the round (plan analyses included): on a shared machine the
 * throughput swings with other work, its CPU per message much less.
 */
async function round(pool: Pool, count: number, pid: number) {
  let left = count;
  const cpuBefore = gatewayCpuSeconds(pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) await send(pool);
    }),
  );
  const accepted = performance.now();
  await drained(pool);
  const done = performance.now();
  return {
    acceptedPerSecond: count / ((accepted - started) / 1000),
    dispatchedPerSecond: count / ((done - started) / 1000),
    cpuMicrosPerMessage: ((gatewayCpuSeconds(pid) - cpuBefore) * 1e6) / count,
  };
}

async function measure(prefilled: string, mode: 'plan' | 'none') {
  const path = join(work, `${mode}.sqlite`);
  copyFileSync(prefilled, path);
  const server = await startGateway(path, mode);
  const pool = new Pool(server.url, { connections: CONCURRENCY });
  try {
    const pid = server.child.pid as number;
    await round(pool, 1000, pid);
    return await round(pool, MESSAGES, pid);
  } finally {
    await pool.close();
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(path, { force: true });
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
  }
}

/** Under load at 100 % on `to`: ms from the emergency stop's 200 to the first send through `from`. */
async function stopLatency(prefilled: string) {
  const path = join(work, 'stop.sqlite');
  copyFileSync(prefilled, path);
  const server = await startGateway(path, 'none');
  const pool = new Pool(server.url, { connections: 16 });
  const admin = async (route: string, body: unknown) => {
    const response = await pool.request({
      method: 'POST',
      path: route,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.body.dump();
    if (response.statusCode !== 200) throw new Error(`${route}: HTTP ${response.statusCode}`);
  };
  await admin('/v1/admin/migrations/old-to-new/percentage', { percentage: 100, reason: 'benchmark' });
  let running = true;
  const load = Promise.all(
    Array.from({ length: 8 }, async () => {
      while (running) await send(pool);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await admin('/v1/admin/migrations/old-to-new/emergency-stop', { reason: 'benchmark' });
  const stoppedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 500));
  running = false;
  await load;
  await drained(pool);
  await pool.close();
  server.child.kill('SIGKILL');
  await new Promise((resolve) => server.child.once('exit', resolve));
  const db = new Database(path, { readonly: true });
  const first = db
    .prepare(
      `SELECT MIN(sent_at) AS at FROM messages WHERE provider_id = 'old' AND sent_at >= ? AND id NOT LIKE 'msg_prefill%'`,
    )
    .get(stoppedAt) as { at: number | null };
  const late = db
    .prepare(
      `SELECT COUNT(*) AS count FROM messages WHERE provider_id = 'new' AND created_at > ? AND id NOT LIKE 'msg_prefill%'`,
    )
    .get(stoppedAt) as { count: number };
  db.close();
  return {
    firstFromAfterMs: first.at === null ? undefined : first.at - stoppedAt,
    acceptedAfterStopSentToNew: late.count,
  };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const prefilled = process.env.BENCH_STORE ?? join(work, 'prefilled.sqlite');
if (!existsSync(prefilled)) {
  const started = performance.now();
  console.log(`prefilling a store with ${STORED} messages…`);
  prefill(prefilled, STORED);
  console.log(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
console.log(
  `migrations benchmark: ${STORED} stored, ${MESSAGES} messages x ${ROUNDS} rounds, concurrency ${CONCURRENCY}`,
);
const results: Record<'plan' | 'none', Array<Awaited<ReturnType<typeof round>>>> = { plan: [], none: [] };
for (let index = 0; index < ROUNDS; index++) {
  // Alternated, so that both see the same machine.
  for (const mode of ['none', 'plan'] as const) {
    const result = await measure(prefilled, mode);
    results[mode].push(result);
    console.log(
      `${mode.padEnd(5)} accepted ${result.acceptedPerSecond.toFixed(0).padStart(6)}/s  dispatched ${result.dispatchedPerSecond.toFixed(0).padStart(6)}/s  gateway CPU ${result.cpuMicrosPerMessage.toFixed(0).padStart(4)} µs/message`,
    );
  }
}
const summary = (mode: 'plan' | 'none') => ({
  accepted: median(results[mode].map((result) => result.acceptedPerSecond)),
  dispatched: median(results[mode].map((result) => result.dispatchedPerSecond)),
  cpuMicros: median(results[mode].map((result) => result.cpuMicrosPerMessage)),
});
const plan = summary('plan');
const none = summary('none');
const stop = await stopLatency(prefilled);
const ratio = (value: number, anchor: number) => Math.round((value / anchor) * 1000) / 1000;
console.log(
  `with a plan: accept ${ratio(plan.accepted, none.accepted)}, dispatch ${ratio(plan.dispatched, none.dispatched)} of the run without (target >= 0.9)`,
);
console.log(
  `gateway CPU per message: ${none.cpuMicros.toFixed(0)} µs without a plan, ${plan.cpuMicros.toFixed(0)} µs with one (efficiency ${ratio(none.cpuMicros, plan.cpuMicros)}, target >= 0.9)`,
);
console.log(
  `emergency stop: first message through from ${stop.firstFromAfterMs} ms after the 200; accepted after it yet sent to new: ${stop.acceptedAfterStopSentToNew}`,
);
if (!process.env.BENCH_STORE) rmSync(work, { recursive: true, force: true });
console.log(
  JSON.stringify({
    benchmark: 'migrations',
    stored: STORED,
    messages: MESSAGES,
    concurrency: CONCURRENCY,
    acceptedPerSecondWithoutPlan: Math.round(none.accepted),
    acceptedPerSecondWithPlan: Math.round(plan.accepted),
    dispatchedPerSecondWithoutPlan: Math.round(none.dispatched),
    dispatchedPerSecondWithPlan: Math.round(plan.dispatched),
    acceptRatio: ratio(plan.accepted, none.accepted),
    dispatchRatio: ratio(plan.dispatched, none.dispatched),
    cpuMicrosPerMessageWithoutPlan: Math.round(none.cpuMicros),
    cpuMicrosPerMessageWithPlan: Math.round(plan.cpuMicros),
    cpuEfficiencyRatio: ratio(none.cpuMicros, plan.cpuMicros),
    emergencyStopToFirstFromMs: stop.firstFromAfterMs,
    acceptedAfterStopSentToNew: stop.acceptedAfterStopSentToNew,
  }),
);
