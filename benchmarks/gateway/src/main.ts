// Gateway throughput end to end (HTTP -> SQLite -> router -> plugin [-> simulator]) against a Fastify
// hello-world measured in the same run. Each server runs in its own process; this one generates load.
// The last line printed is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const API_KEY = 'bench-key-0123456789abcdef';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const here = dirname(fileURLToPath(import.meta.url));

interface Server {
  url: string;
  child: ChildProcess;
}

async function startServer(mode: string, ...args: string[]): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--conditions=@msg/source', '--import', 'tsx', join(here, 'server.ts'), mode, ...args],
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
    child.on('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { url, child };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** Sends `count` messages at `CONCURRENCY`, then waits until the server has dispatched them all. */
async function round(pool: Pool, count: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const sentAt = performance.now();
      const response = await pool.request({
        method: 'POST',
        path: '/v1/messages',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          to: `+26097${String(index % 10_000_000).padStart(7, '0')}`,
          text: 'benchmark message',
        }),
      });
      await response.body.dump();
      if (response.statusCode !== 202) throw new Error(`HTTP ${response.statusCode}`);
      latencies.push(performance.now() - sentAt);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  // Accepted is not done: count until the queue is empty (dispatched end to end).
  for (;;) {
    const response = await pool.request({ method: 'GET', path: '/readyz' });
    const body = (await response.body.json()) as { queue: { queued: number; inFlight: number } };
    if (body.queue.queued === 0 && body.queue.inFlight === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: count / seconds, p99Ms: percentile(latencies, 99) };
}

async function measure(mode: string, ...args: string[]) {
  const server = await startServer(mode, ...args);
  const pool = new Pool(server.url, { connections: CONCURRENCY, pipelining: 1 });
  try {
    await round(pool, Math.min(2000, MESSAGES));
    const results = [];
    for (let index = 0; index < ROUNDS; index++) results.push(await round(pool, MESSAGES));
    results.sort((a, b) => a.perSecond - b.perSecond);
    const median = results[Math.floor(results.length / 2)] as { perSecond: number; p99Ms: number };
    console.log(
      `${mode.padEnd(16)} ${median.perSecond.toFixed(0).padStart(7)} msg/s  p99 ${median.p99Ms.toFixed(2)} ms`,
    );
    return median;
  } finally {
    await pool.close();
    server.child.kill('SIGKILL');
  }
}

console.log(`gateway benchmark: ${MESSAGES} messages x ${ROUNDS} rounds, concurrency ${CONCURRENCY}`);
const hello = await measure('hello');
const gatewayNull = await measure('gateway-null');
const simulator = await startServer('twilio-simulator');
const gatewayTwilio = await measure('gateway-twilio', simulator.url).finally(() =>
  simulator.child.kill('SIGKILL'),
);
const ratio = (value: number) => Math.round((value / hello.perSecond) * 1000) / 1000;
console.log(
  `null path ratio ${ratio(gatewayNull.perSecond)} (target >= 0.15), twilio path ratio ${ratio(gatewayTwilio.perSecond)}`,
);
console.log(
  JSON.stringify({
    benchmark: 'gateway',
    concurrency: CONCURRENCY,
    messages: MESSAGES,
    helloPerSecond: Math.round(hello.perSecond),
    helloP99Ms: Math.round(hello.p99Ms * 100) / 100,
    nullPerSecond: Math.round(gatewayNull.perSecond),
    nullP99Ms: Math.round(gatewayNull.p99Ms * 100) / 100,
    nullRatio: ratio(gatewayNull.perSecond),
    twilioPerSecond: Math.round(gatewayTwilio.perSecond),
    twilioP99Ms: Math.round(gatewayTwilio.p99Ms * 100) / 100,
    twilioRatio: ratio(gatewayTwilio.perSecond),
    durability: 'sqlite wal, synchronous=normal',
  }),
);
