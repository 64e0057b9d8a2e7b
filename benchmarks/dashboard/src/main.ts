// The dashboard's cost, measured: its first load in Chromium (bytes, time to first chart), and the
// gateway's send throughput with ten dashboards' live streams open against none, alternated in one
// run against the same gateway. The last line printed is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';
import { CHROMIUM, type FirstLoad, firstLoad } from './first-load.js';

const API_KEY = 'bench-key-0123456789abcdef';
const MIGRATION = 'old-to-new';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DASHBOARDS = 10;
const here = dirname(fileURLToPath(import.meta.url));

async function startGateway(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@msg/source', '--import', 'tsx', join(here, 'server.ts')],
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
    child.on('exit', (code) => reject(new Error(`the gateway exited with ${code}`)));
  });
  return { url, child };
}

/** Sends `count` messages at `CONCURRENCY` and waits until all are dispatched; messages per second. */
async function sendRound(pool: Pool, count: number, offset: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = offset + next++;
      const response = await pool.request({
        method: 'POST',
        path: '/v1/messages',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          to: `+26097${String(index % 10_000_000).padStart(7, '0')}`,
          text: 'benchmark',
        }),
      });
      await response.body.dump();
      if (response.statusCode !== 202) throw new Error(`HTTP ${response.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  for (;;) {
    const response = await pool.request({ method: 'GET', path: '/readyz' });
    const body = (await response.body.json()) as { queue: { queued: number; inFlight: number } };
    if (body.queue.queued === 0 && body.queue.inFlight === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return count / ((performance.now() - started) / 1000);
}

/** Ten dashboards' live streams: each reads every event, as a page would. */
async function openStreams(url: string) {
  const controllers: AbortController[] = [];
  let bytes = 0;
  await Promise.all(
    Array.from({ length: DASHBOARDS }, async () => {
      const controller = new AbortController();
      controllers.push(controller);
      const response = await request(`${url}/v1/stream`, {
        headers: { authorization: `Bearer ${API_KEY}` },
        signal: controller.signal,
      });
      if (response.statusCode !== 200) throw new Error(`stream answered ${response.statusCode}`);
      (async () => {
        for await (const chunk of response.body) bytes += (chunk as Buffer).length;
      })().catch(() => undefined);
    }),
  );
  return {
    bytes: () => bytes,
    close: () => {
      for (const controller of controllers) controller.abort();
    },
  };
}

/** CPU time (user + system) the process has used, in ms, from /proc (Linux); undefined elsewhere. */
function cpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** The gateway's CPU per second of wall time while nothing is sent, over `seconds`. */
async function idleCpu(pid: number, seconds: number): Promise<number | undefined> {
  const before = cpuMs(pid);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = cpuMs(pid);
  return before === undefined || after === undefined ? undefined : (after - before) / seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const gateway = await startGateway();
const pool = new Pool(gateway.url, { connections: CONCURRENCY, pipelining: 1 });
try {
  console.log(
    `dashboard benchmark: ${MESSAGES} messages x ${ROUNDS} rounds each way, concurrency ${CONCURRENCY}`,
  );
  // Warm-up, and data for the charts.
  let offset = 0;
  await sendRound(pool, 2000, offset);
  offset += 2000;

  let loads: FirstLoad[] = [];
  if (existsSync(CHROMIUM)) {
    for (let index = 0; index < 3; index++) {
      loads.push(await firstLoad(gateway.url, API_KEY, `#/migrations/${MIGRATION}`));
    }
    const load = loads[0] as FirstLoad;
    console.log(
      `first load: ${load.assetBytes} B of assets, ${load.totalBytes} B in all; first chart after ${median(loads.map((item) => item.firstChartMs))} ms (median of ${loads.length})`,
    );
  } else {
    console.log(`first load: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    loads = [];
  }

  // What ten open dashboards cost the gateway when nothing else happens: the feed's own work.
  const pid = gateway.child.pid as number;
  const idleWithout = await idleCpu(pid, 5);
  const idleStreams = await openStreams(gateway.url);
  const idleWith = await idleCpu(pid, 5);
  idleStreams.close();
  console.log(
    `idle gateway CPU: ${idleWithout?.toFixed(1) ?? '?'} ms/s without dashboards, ${idleWith?.toFixed(1) ?? '?'} ms/s with ${DASHBOARDS} open`,
  );

  // Without and with the streams in ABBA order: the store grows with every round (and later rounds
  // are slower for it), so a fixed order would charge that drift to one side.
  const without: number[] = [];
  const withStreams: number[] = [];
  let streamBytes = 0;
  const measureWithout = async () => {
    without.push(await sendRound(pool, MESSAGES, offset));
    offset += MESSAGES;
  };
  const measureWith = async () => {
    const streams = await openStreams(gateway.url);
    withStreams.push(await sendRound(pool, MESSAGES, offset));
    offset += MESSAGES;
    streamBytes += streams.bytes();
    streams.close();
  };
  for (let index = 0; index < ROUNDS; index++) {
    if (index % 2 === 0) {
      await measureWithout();
      await measureWith();
    } else {
      await measureWith();
      await measureWithout();
    }
  }
  const base = median(without);
  const loaded = median(withStreams);
  const ratio = Math.round((loaded / base) * 1000) / 1000;
  console.log(
    `throughput: ${base.toFixed(0)} msg/s without dashboards, ${loaded.toFixed(0)} msg/s with ${DASHBOARDS} open: ratio ${ratio} (goal >= 0.95)`,
  );
  console.log(
    JSON.stringify({
      benchmark: 'dashboard',
      firstLoadAssetBytes: loads[0]?.assetBytes ?? null,
      firstLoadTotalBytes: loads[0]?.totalBytes ?? null,
      firstChartMs: loads.length > 0 ? median(loads.map((item) => item.firstChartMs)) : null,
      messages: MESSAGES,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      perSecondWithout: Math.round(base),
      perSecondWithTenDashboards: Math.round(loaded),
      ratio,
      goal: 0.95,
      streamBytesReceived: streamBytes,
      idleCpuMsPerSecondWithout: idleWithout === undefined ? null : Math.round(idleWithout * 10) / 10,
      idleCpuMsPerSecondWithTenDashboards: idleWith === undefined ? null : Math.round(idleWith * 10) / 10,
    }),
  );
} finally {
  await pool.close();
  gateway.child.kill('SIGKILL');
}
