// A 1,000,000-recipient CSV campaign through the gateway to the Africa's Talking simulator. Every
// server runs in its own process (see server.ts); this one writes the CSV, uploads it, starts the
// campaigns, samples the gateway's RSS from /proc, and measures, in the same run, the anchor:
// raw undici bulk requests of 200 recipients to the same simulator. Reported: upload and
// validation time, the gateway's peak RSS, dispatch rates with the bulk path on and off (ratios
// to the anchor), and the credit ledger checked to the cent against what the simulator accepted.
// The last line of output is one JSON object.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormData, Pool, request } from 'undici';
import { ADMIN_KEY, API_KEY, AT_API_KEY, AT_USERNAME } from './constants.js';
import { gatewayConfig } from './gateway.js';

const here = dirname(fileURLToPath(import.meta.url));
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 1_000_000);
const COMPARE = Number(process.env.BENCH_COMPARE ?? 20_000);
const ANCHOR = Number(process.env.BENCH_ANCHOR ?? 200_000);
const RSS_GOAL_MB = 256;
/** Node flags for the gateway's process, e.g. `--max-old-space-size=96` (none by default). */
const GATEWAY_FLAGS = (process.env.BENCH_GATEWAY_FLAGS ?? '').split(/\s+/).filter(Boolean);
const PRICE_MICROS = 800_000; // KES 0.8000 per part, as the simulator reports it
// The built CLI of the installed gateway (`pnpm bench:campaigns` builds it first).
const GATEWAY_CLI = join(
  dirname(createRequire(import.meta.url).resolve('@msg/gateway/package.json')),
  'bin',
  'msg.js',
);
const work = mkdtempSync(join(tmpdir(), 'msg-bench-campaigns-'));

/** The validation report, as the API shows it. */
interface Report {
  recipients: number;
  invalidLines: unknown[];
  [key: string]: unknown;
}

interface Server {
  url: string;
  pid: number;
  child: ChildProcess;
}

/** The simulator, in its own process (server.ts, through tsx). */
async function startSimulator(): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--conditions=@msg/source', '--import', 'tsx', join(here, 'server.ts'), 'simulator'],
    { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await firstLine(child, (text) => text.startsWith('{"url"'));
  return { ...(JSON.parse(line) as { url: string; pid: number }), child };
}

/**
 * The gateway as it is deployed: the built CLI (`msg start --config`), plain Node, no TypeScript
 * loader, so its RSS is the RSS an operator sees. The config is the one gateway.ts writes.
 */
async function startGateway(simulatorUrl: string): Promise<Server> {
  const config = join(work, 'gateway.json');
  writeFileSync(config, JSON.stringify(gatewayConfig(join(work, 'gateway.sqlite'), simulatorUrl)));
  const child = spawn(
    process.execPath,
    [
      ...GATEWAY_FLAGS,
      ...(process.env.BENCH_MEMORY_LOG ? ['--import', join(here, 'memory-log.mjs')] : []),
      GATEWAY_CLI,
      'start',
      '--config',
      config,
      '--port',
      '0',
    ],
    { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await firstLine(child, (text) => text.startsWith('msg gateway listening on '));
  return { url: line.slice('msg gateway listening on '.length).trim(), pid: child.pid as number, child };
}

/** The first line of the child's output that `match` accepts; rejects if the child exits first. */
function firstLine(child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find(match);
      if (line) resolve(line);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

/** The process's resident set, in MB, from /proc (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** A Kenyan mobile number per index (valid for libphonenumber), distinct for distinct indexes. */
const number = (index: number) => `+2547${String(10_000_000 + index).slice(-8)}`;

/** `count` lines: 1 in 100 an invalid number, 1 in 250 a repeat of the line before. */
async function writeCsv(
  path: string,
  count: number,
  offset: number,
): Promise<{ valid: number; invalid: number; duplicates: number }> {
  const out = createWriteStream(path);
  out.write('to,name\n');
  let invalid = 0;
  let duplicates = 0;
  let chunk = '';
  for (let index = 0; index < count; index++) {
    let to = number(offset + index);
    if (index % 100 === 99) {
      to = `+2547${index % 1000}`;
      invalid++;
    } else if (index % 250 === 249) {
      to = number(offset + index - 1);
      duplicates++;
    }
    chunk += `${to},Customer ${index}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return { valid: count - invalid - duplicates, invalid, duplicates };
}

async function api(url: string, method: string, path: string, key: string, body?: unknown) {
  const response = await request(`${url}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${text}`);
  return JSON.parse(text);
}

async function upload(url: string, csv: string): Promise<{ id: string; seconds: number; report: Report }> {
  const form = new FormData();
  // One text for all: a provider's bulk request carries one text for many recipients (a
  // personalised text makes each request carry one). Validation still reads every column.
  form.append(
    'campaign',
    JSON.stringify({ name: 'bench', template: { text: 'Hello Customer, 20% off today only' } }),
  );
  form.append('recipients', await openAsBlob(csv, { type: 'text/csv' }), 'recipients.csv');
  const started = performance.now();
  const response = await request(`${url}/v1/campaigns`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}` },
    body: form,
  });
  const body = (await response.body.json()) as { id: string; report: Report };
  if (response.statusCode !== 201) throw new Error(`upload: ${response.statusCode} ${JSON.stringify(body)}`);
  return { id: body.id, seconds: (performance.now() - started) / 1000, report: body.report };
}

/** Starts the campaign and waits for it to complete: messages per second from start to end. */
async function run(
  url: string,
  id: string,
  recipients: number,
): Promise<{ seconds: number; perSecond: number }> {
  const started = performance.now();
  await api(url, 'POST', `/v1/campaigns/${id}/start`, API_KEY);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const view = await api(url, 'GET', `/v1/campaigns/${id}`, API_KEY);
    if (view.state === 'completed') break;
    if (view.state === 'cancelled') throw new Error(`campaign ${id} was cancelled`);
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, perSecond: recipients / seconds };
}

/** The anchor: bulk requests of 200 recipients straight to the simulator, 8 at a time. */
async function anchor(simulatorUrl: string, total: number): Promise<number> {
  const pool = new Pool(simulatorUrl, { connections: 8 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < total) {
        const start = next;
        next += 200;
        const to = Array.from({ length: Math.min(200, total - start) }, (_, index) =>
          number(5_000_000 + start + index),
        );
        const response = await pool.request({
          method: 'POST',
          path: '/version1/messaging',
          headers: {
            apikey: AT_API_KEY,
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            username: AT_USERNAME,
            to: to.join(','),
            message: 'Hello Customer, 20% off today only',
            bulkSMSMode: '1',
          }).toString(),
        });
        await response.body.text();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return total / seconds;
}

const simulator = await startSimulator();
const simulatorUrl = simulator.url;
const accepted = async () => (await api(simulatorUrl, 'GET', '/accepted', API_KEY)).accepted as number;
const gateway = await startGateway(simulatorUrl);
let phase = 'start';
const rssByPhase: Record<string, number> = {};
const rss: number[] = [];
const sampler = setInterval(() => {
  const mb = rssMb(gateway.pid);
  rss.push(mb);
  rssByPhase[phase] = Math.round(Math.max(rssByPhase[phase] ?? 0, mb));
}, 100);
let result: Record<string, unknown> = {};
try {
  console.log(`writing ${RECIPIENTS} recipients…`);
  const big = join(work, 'big.csv');
  const expected = await writeCsv(big, RECIPIENTS, 0);
  const anchorPerSecond = await anchor(simulatorUrl, ANCHOR);
  const anchorAccepted = await accepted();
  console.log(`anchor: raw undici bulk requests to the simulator ${anchorPerSecond.toFixed(0)} recipients/s`);
  await api(gateway.url, 'POST', '/v1/credits/shop/top-ups', ADMIN_KEY, { amount: '5000000.00' });

  const idleRss = rssMb(gateway.pid);
  phase = 'upload';
  const uploaded = await upload(gateway.url, big);
  phase = 'bulk dispatch';
  const uploadPeak = Math.max(...rss);
  console.log(
    `upload + validation of ${RECIPIENTS} lines: ${uploaded.seconds.toFixed(1)} s (${(RECIPIENTS / uploaded.seconds).toFixed(0)} lines/s); report ${JSON.stringify({ ...uploaded.report, invalidLines: uploaded.report.invalidLines.length })}`,
  );
  const bulk = await run(gateway.url, uploaded.id, uploaded.report.recipients);
  console.log(
    `1M campaign, bulk path: ${bulk.perSecond.toFixed(0)} messages/s (${bulk.seconds.toFixed(1)} s)`,
  );

  // Same size on both paths, for the ratio: bulk on, then rolled back to one by one.
  phase = 'comparison';
  const small = join(work, 'small.csv');
  await writeCsv(small, COMPARE, 2_000_000);
  const smallUpload = await upload(gateway.url, small);
  const bulkSmall = await run(gateway.url, smallUpload.id, smallUpload.report.recipients);
  await api(gateway.url, 'PUT', '/v1/campaigns/bulk-rollout', ADMIN_KEY, {
    enabled: false,
    reason: 'benchmark: one by one',
  });
  const smallOff = join(work, 'small-off.csv');
  const offExpected = await writeCsv(smallOff, COMPARE, 3_000_000);
  const offUpload = await upload(gateway.url, smallOff);
  const single = await run(gateway.url, offUpload.id, offUpload.report.recipients);
  console.log(
    `${COMPARE} recipients: bulk path ${bulkSmall.perSecond.toFixed(0)}/s, one by one ${single.perSecond.toFixed(0)}/s`,
  );

  // The ledger to the cent: every recipient the simulator accepted from the gateway, at its price.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const providerAccepted = (await accepted()) - anchorAccepted;
  const credits = await api(gateway.url, 'GET', '/v1/credits', API_KEY);
  const costs = await api(gateway.url, 'GET', '/v1/reports/costs?groupBy=provider', ADMIN_KEY);
  const expectedDebit = ((providerAccepted * PRICE_MICROS) / 1_000_000).toFixed(6);
  const ledger = {
    providerAccepted,
    debited: credits.debited,
    expectedDebit,
    held: credits.held,
    balance: credits.balance,
    costReportTotal: costs.total,
    exact:
      credits.debited === expectedDebit &&
      costs.total === expectedDebit &&
      credits.held === '0.000000' &&
      Number(credits.balance) * 1_000_000 === 5_000_000 * 1_000_000 - providerAccepted * PRICE_MICROS,
  };
  console.log(`ledger: ${JSON.stringify(ledger)}`);
  const peakRss = Math.max(...rss);
  result = {
    benchmark: 'campaigns',
    recipients: RECIPIENTS,
    expected: { ...expected, offPath: offExpected.valid },
    uploadSeconds: Number(uploaded.seconds.toFixed(2)),
    uploadLinesPerSecond: Math.round(RECIPIENTS / uploaded.seconds),
    rssMb: {
      idle: Math.round(idleRss),
      afterUpload: Math.round(uploadPeak),
      peak: Math.round(peakRss),
      byPhase: rssByPhase,
    },
    anchorRecipientsPerSecond: Math.round(anchorPerSecond),
    bulk1M: { messagesPerSecond: Math.round(bulk.perSecond), seconds: Number(bulk.seconds.toFixed(1)) },
    compare: {
      recipients: COMPARE,
      bulkPerSecond: Math.round(bulkSmall.perSecond),
      oneByOnePerSecond: Math.round(single.perSecond),
    },
    gatewayFlags: GATEWAY_FLAGS,
    ratios: {
      bulkToAnchor: Number((bulk.perSecond / anchorPerSecond).toFixed(3)),
      oneByOneToAnchor: Number((single.perSecond / anchorPerSecond).toFixed(3)),
      bulkToOneByOne: Number((bulkSmall.perSecond / single.perSecond).toFixed(2)),
    },
    ledger,
    targets: { rssUnder256Mb: peakRss < RSS_GOAL_MB, ledgerExact: ledger.exact },
  };
} finally {
  clearInterval(sampler);
  await Promise.all(
    [gateway.child, simulator.child].map(async (child) => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }),
  );
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
