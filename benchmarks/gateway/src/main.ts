// Gateway throughput end to end, measured from outside against anchors in the same run: a Fastify
// hello-world and a Fastify + better-sqlite3 insert-per-request server. Every server (and the
// Twilio simulator) runs in its own process; this one generates the load with an undici Pool and
// reads the gateway's CPU time from /proc. Per path it reports messages accepted per second,
// delivered per second while the load lasts, and delivered end to end (until the queue is empty),
// the backlog left when the load stops, and gateway CPU per message; the console path again over a
// store already holding BENCH_STORED messages; and the gateway's CPU per Twilio receipt, alone.
// The last line printed is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { twilioSignature } from '@msg/plugin-twilio';
import { Pool } from 'undici';
import { prefilledStore } from './prefill.js';

const API_KEY = 'bench-key-0123456789abcdef';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STORED = Number(process.env.BENCH_STORED ?? 1_000_000);
/** `BENCH_ONLY=stored,twilio` runs only those parts (anchors, console, stored, twilio); the summary needs all. */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'anchors,console,stored,twilio').split(','));
/** Twilio's simulator sends two receipts per message (sent, delivered). */
const RECEIPTS_PER_MESSAGE = 2;
const TWILIO_SID = `AC${'5a'.repeat(16)}`;
const TWILIO_TOKEN = 'bench-twilio-auth-token';
const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'msg-bench-gateway-'));
const TICKS_PER_SECOND = 100;

interface Server {
  url: string;
  pid: number;
  child: ChildProcess;
}

async function startServer(...args: string[]): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--conditions=@msg/source', '--import', 'tsx', join(here, 'server.ts'), ...args],
    { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const started = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((candidate) => candidate.startsWith('{"url"'));
      if (line) resolve(JSON.parse(line) as { url: string; pid: number });
    });
    child.on('exit', (code) => reject(new Error(`${args[0]} server exited with ${code}`)));
  });
  return { ...started, child };
}

/** CPU seconds (user + system) the process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function json<T>(pool: Pool, path: string): Promise<T> {
  const response = await pool.request({ method: 'GET', path });
  return (await response.body.json()) as T;
}

/** A counter's total over its label sets, from the Prometheus text. */
async function counter(pool: Pool, name: string): Promise<number> {
  const response = await pool.request({ method: 'GET', path: '/metrics' });
  const text = await response.body.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) total += Number(line.split(' ').at(-1));
  }
  return total;
}

interface Load {
  acceptedPerSecond: number;
  refused: number;
  p99Ms: number;
}

/** `count` POSTs at CONCURRENCY; 202s counted, 429/503 (backpressure) counted as refused. */
async function load(pool: Pool, count: number): Promise<Load & { seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  let accepted = 0;
  let refused = 0;
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
      if (response.statusCode === 202) accepted++;
      else if (response.statusCode === 429 || response.statusCode === 503) refused++;
      else throw new Error(`HTTP ${response.statusCode}`);
      latencies.push(performance.now() - sentAt);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { acceptedPerSecond: accepted / seconds, refused, p99Ms: percentile(latencies, 99), seconds };
}

interface Round extends Load {
  deliveredUnderLoadPerSecond: number;
  deliveredEndToEndPerSecond: number;
  backlogAtEnd: number;
  /** The dispatcher's concurrency limit when the load stopped (it adapts to provider latency). */
  concurrencyLimit: number;
  cpuMicrosecondsPerMessage: number;
  cpuMicrosecondsPerReceipt?: number;
}

/** One round against a gateway: the load, then waiting until every accepted message is dispatched. */
async function gatewayRound(server: Server, pool: Pool, probe: Pool, receipts: boolean): Promise<Round> {
  const dispatchedBefore = await counter(probe, 'msg_messages_dispatched_total');
  const receiptsBefore = await counter(probe, 'msg_webhook_events_total');
  const cpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  const result = await load(pool, MESSAGES);
  const dispatchedDuringLoad = (await counter(probe, 'msg_messages_dispatched_total')) - dispatchedBefore;
  const ready = await json<{ queue: { queued: number; inFlight: number } }>(probe, '/readyz');
  const concurrencyLimit = await counter(probe, 'msg_dispatch_concurrency_limit');
  const accepted = Math.round(result.acceptedPerSecond * result.seconds);
  for (;;) {
    const { queue } = await json<{ queue: { queued: number; inFlight: number } }>(probe, '/readyz');
    if (queue.queued === 0 && queue.inFlight === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const endToEnd = (performance.now() - started) / 1000;
  if (receipts) {
    // Every receipt in (the simulator sends them shortly after each send) before the CPU is read.
    const expected = receiptsBefore + accepted * RECEIPTS_PER_MESSAGE;
    const deadline = Date.now() + 120_000;
    while ((await counter(probe, 'msg_webhook_events_total')) < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  return {
    ...result,
    deliveredUnderLoadPerSecond: dispatchedDuringLoad / result.seconds,
    deliveredEndToEndPerSecond: accepted / endToEnd,
    backlogAtEnd: ready.queue.queued,
    concurrencyLimit,
    cpuMicrosecondsPerMessage: (cpu / Math.max(1, accepted)) * 1e6,
  };
}

function median<T>(rounds: T[], key: (round: T) => number): T {
  const sorted = [...rounds].sort((left, right) => key(left) - key(right));
  return sorted[Math.floor(sorted.length / 2)] as T;
}

interface Target {
  name: string;
  server: Server;
  pool: Pool;
  probe: Pool;
  /** A gateway (measured with `gatewayRound`), or an anchor (the load alone). */
  gateway: boolean;
  receipts: boolean;
  rounds: Array<Round | Load>;
}

async function target(
  name: string,
  isGateway: boolean,
  receipts: boolean,
  ...args: string[]
): Promise<Target> {
  const server = await startServer(...args);
  return {
    name,
    server,
    pool: new Pool(server.url, { connections: CONCURRENCY, pipelining: 1 }),
    probe: new Pool(server.url, { connections: 1 }),
    gateway: isGateway,
    receipts,
    rounds: [],
  };
}

const measureOnce = (item: Target): Promise<Round | Load> =>
  item.gateway ? gatewayRound(item.server, item.pool, item.probe, item.receipts) : load(item.pool, MESSAGES);

function report(item: Target, result: Round): void {
  console.log(
    item.gateway
      ? `${item.name.padEnd(24)} accepted ${result.acceptedPerSecond.toFixed(0).padStart(6)}/s  delivered under load ${result.deliveredUnderLoadPerSecond.toFixed(0).padStart(6)}/s  end to end ${result.deliveredEndToEndPerSecond.toFixed(0).padStart(6)}/s  backlog at end ${result.backlogAtEnd}  limit ${result.concurrencyLimit}  refused ${result.refused}  CPU ${result.cpuMicrosecondsPerMessage.toFixed(0)} µs/msg  p99 ${result.p99Ms.toFixed(1)} ms`
      : `${item.name.padEnd(24)} ${result.acceptedPerSecond.toFixed(0).padStart(7)} req/s  p99 ${result.p99Ms.toFixed(1)} ms`,
  );
}

/**
 * Rounds that take turns between the targets (one of each, then again), so that the drift of a
 * shared machine hits them all alike; the median round of each. Every target is stopped after.
 */
async function interleaved(targets: Target[]): Promise<Map<string, Round>> {
  const results = new Map<string, Round>();
  try {
    for (const item of targets) {
      if (item.gateway) await gatewayRound(item.server, item.pool, item.probe, item.receipts);
      else await load(item.pool, Math.min(2000, MESSAGES));
    }
    for (let index = 0; index < ROUNDS; index++) {
      for (const item of targets) item.rounds.push(await measureOnce(item));
    }
    for (const item of targets) {
      const result = median(item.rounds, (round) => round.acceptedPerSecond) as Round;
      results.set(item.name, result);
      report(item, result);
    }
  } finally {
    for (const item of targets) {
      await Promise.all([item.pool.close(), item.probe.close()]);
      item.server.child.kill('SIGKILL');
    }
  }
  return results;
}

/**
 * Gateway CPU per receipt, alone: messages sent through Twilio (its simulator holding its own
 * callbacks back), then two status callbacks for each, signed as Twilio signs them, posted with
 * undici at CONCURRENCY; the gateway's CPU over the posts only, per receipt. The median of ROUNDS.
 */
async function receiptCpu(gatewayServer: Server): Promise<{ microseconds: number; perSecond: number }> {
  const pool = new Pool(gatewayServer.url, { connections: CONCURRENCY, pipelining: 1 });
  const count = Math.min(MESSAGES, 5000);
  const rounds: Array<{ microseconds: number; perSecond: number }> = [];
  const post = async (path: string, headers: Record<string, string>, body: string) => {
    const response = await pool.request({ method: 'POST', path, headers, body });
    if (response.statusCode >= 300) throw new Error(`${path} answered ${response.statusCode}`);
    return response.body.json();
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const sent: Array<{ id: string; sid: string }> = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < count) {
            const body = (await post(
              '/v1/messages?wait=true',
              { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
              JSON.stringify({ to: '+260971234567', text: 'benchmark message' }),
            )) as { id: string; providerMessageId: string };
            sent.push({ id: body.id, sid: body.providerMessageId });
          }
        }),
      );
      const callbacks = sent.flatMap(({ id, sid }) =>
        ['sent', 'delivered'].map((status) => {
          const path = `/webhooks/twilio?messageId=${id}`;
          const params: Record<string, string> = {
            ApiVersion: '2010-04-01',
            AccountSid: TWILIO_SID,
            SmsSid: sid,
            SmsStatus: status,
            MessageSid: sid,
            MessageStatus: status,
            To: '+260971234567',
            From: '+15005550006',
            ...(status === 'delivered' ? { RawDlrDoneDate: '2512021200' } : {}),
          };
          const signature = twilioSignature(TWILIO_TOKEN, `${gatewayServer.url}${path}`, params);
          return { path, body: new URLSearchParams(params).toString(), signature };
        }),
      );
      const before = cpuSeconds(gatewayServer.pid);
      const started = performance.now();
      let index = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (index < callbacks.length) {
            const callback = callbacks[index++] as (typeof callbacks)[number];
            const response = await pool.request({
              method: 'POST',
              path: callback.path,
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                'x-twilio-signature': callback.signature,
              },
              body: callback.body,
            });
            await response.body.dump();
            if (response.statusCode !== 200) throw new Error(`a receipt answered ${response.statusCode}`);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      rounds.push({
        microseconds: ((cpuSeconds(gatewayServer.pid) - before) / callbacks.length) * 1e6,
        perSecond: callbacks.length / seconds,
      });
    }
  } finally {
    await pool.close();
  }
  return median(rounds, (round) => round.microseconds);
}

const optional = <T>(part: string, start: () => Promise<T>): Promise<T | undefined> =>
  ONLY.has(part) ? start() : Promise.resolve(undefined);

console.log(`gateway benchmark: ${MESSAGES} messages x ${ROUNDS} rounds, concurrency ${CONCURRENCY}`);
// The console path against both anchors, and against itself over a store of STORED messages.
if (ONLY.has('stored')) prefilledStore(STORED, join(work, 'stored.sqlite'));
const STORED_NAME = `console, ${STORED} stored`;
const first = await interleaved(
  [
    await optional('anchors', () => target('hello-world', false, false, 'hello')),
    await optional('anchors', () =>
      target('fastify + sqlite insert', false, false, 'sqlite-insert', join(work, 'anchor.sqlite')),
    ),
    await optional('console', () =>
      target('console, empty store', true, false, 'gateway', join(work, 'empty.sqlite'), 'console'),
    ),
    await optional('stored', () =>
      target(STORED_NAME, true, false, 'gateway', join(work, 'stored.sqlite'), 'console'),
    ),
  ].filter((item): item is Target => item !== undefined),
);
// Twilio through its simulator: once with receipts held back (a delay longer than the run), once
// with its two signed callbacks per message coming back; the CPU between them is the receipts'.
let second = new Map<string, Round>();
let receipts: { microseconds: number; perSecond: number } | undefined;
if (ONLY.has('twilio')) {
  const quiet = await startServer('twilio-simulator', String(3_600_000));
  const talking = await startServer('twilio-simulator', '20');
  try {
    // The gateway's CPU per receipt, measured alone (see receiptCpu).
    const alone = await startServer('gateway', join(work, 'twilio-receipts.sqlite'), 'twilio', quiet.url);
    try {
      receipts = await receiptCpu(alone);
      console.log(
        `${'twilio receipts alone'.padEnd(24)} ${receipts.microseconds.toFixed(0)} µs CPU each, ${receipts.perSecond.toFixed(0)}/s`,
      );
    } finally {
      alone.child.kill('SIGKILL');
    }
    second = await interleaved([
      await target(
        'twilio, no receipts',
        true,
        false,
        'gateway',
        join(work, 'twilio-quiet.sqlite'),
        'twilio',
        quiet.url,
      ),
      await target(
        'twilio, with receipts',
        true,
        true,
        'gateway',
        join(work, 'twilio.sqlite'),
        'twilio',
        talking.url,
      ),
    ]);
  } finally {
    quiet.child.kill('SIGKILL');
    talking.child.kill('SIGKILL');
  }
}
const anchors = first.has('hello-world')
  ? { hello: first.get('hello-world') as Round, sqlite: first.get('fastify + sqlite insert') as Round }
  : undefined;
const consoleEmpty = first.get('console, empty store');
const consoleStored = first.get(STORED_NAME);
const twilioRuns = second.size
  ? {
      withoutReceipts: second.get('twilio, no receipts') as Round,
      withReceipts: second.get('twilio, with receipts') as Round,
    }
  : undefined;

const ratio = (value: number, anchorValue: number) => Math.round((value / anchorValue) * 1000) / 1000;
const round1 = (value: number) => Math.round(value * 10) / 10;
const figures = (run: Round) => ({
  acceptedPerSecond: Math.round(run.acceptedPerSecond),
  deliveredUnderLoadPerSecond: Math.round(run.deliveredUnderLoadPerSecond),
  deliveredEndToEndPerSecond: Math.round(run.deliveredEndToEndPerSecond),
  backlogAtEnd: run.backlogAtEnd,
  concurrencyLimit: run.concurrencyLimit,
  refused: run.refused,
  cpuMicrosecondsPerMessage: Math.round(run.cpuMicrosecondsPerMessage),
  p99Ms: round1(run.p99Ms),
  deliveredToAccepted: ratio(run.deliveredUnderLoadPerSecond, run.acceptedPerSecond),
});
const receiptMicroseconds = receipts?.microseconds;
const sqliteInsert = anchors?.sqlite.acceptedPerSecond;
const summary = {
  benchmark: 'gateway',
  concurrency: CONCURRENCY,
  messages: MESSAGES,
  rounds: ROUNDS,
  stored: STORED,
  helloPerSecond: anchors && Math.round(anchors.hello.acceptedPerSecond),
  sqliteInsertPerSecond: sqliteInsert && Math.round(sqliteInsert),
  console: consoleEmpty && {
    ...figures(consoleEmpty),
    acceptedToHello: anchors && ratio(consoleEmpty.acceptedPerSecond, anchors.hello.acceptedPerSecond),
    acceptedToSqliteInsert: sqliteInsert && ratio(consoleEmpty.acceptedPerSecond, sqliteInsert),
    deliveredToSqliteInsert: sqliteInsert && ratio(consoleEmpty.deliveredUnderLoadPerSecond, sqliteInsert),
  },
  consoleStored: consoleStored && {
    ...figures(consoleStored),
    acceptedToEmptyStore:
      consoleEmpty && ratio(consoleStored.acceptedPerSecond, consoleEmpty.acceptedPerSecond),
    deliveredToEmptyStore:
      consoleEmpty &&
      ratio(consoleStored.deliveredUnderLoadPerSecond, consoleEmpty.deliveredUnderLoadPerSecond),
  },
  twilio: twilioRuns && {
    ...figures(twilioRuns.withReceipts),
    cpuMicrosecondsPerMessageWithoutReceipts: Math.round(
      twilioRuns.withoutReceipts.cpuMicrosecondsPerMessage,
    ),
    cpuMicrosecondsPerReceipt:
      receiptMicroseconds === undefined ? undefined : Math.round(receiptMicroseconds),
    receiptsPerSecond: receipts && Math.round(receipts.perSecond),
  },
  targets: {
    deliveredKeepsUpWithAccepted:
      consoleEmpty && consoleEmpty.deliveredUnderLoadPerSecond >= 0.95 * consoleEmpty.acceptedPerSecond,
    deliveredAtLeastHalfOfSqliteInsert:
      consoleEmpty && sqliteInsert !== undefined
        ? consoleEmpty.deliveredUnderLoadPerSecond >= 0.5 * sqliteInsert
        : undefined,
    acceptWithStoredWithinTenPercent:
      consoleEmpty && consoleStored
        ? consoleStored.acceptedPerSecond >= 0.9 * consoleEmpty.acceptedPerSecond
        : undefined,
    receiptUnder100Microseconds: receiptMicroseconds === undefined ? undefined : receiptMicroseconds < 100,
  },
  durability: 'sqlite wal, synchronous=normal',
};
console.log(JSON.stringify(summary));
