/**
 * Sends per second through @msg/plugin-sendgrid (the real @sendgrid/mail + @sendgrid/client, on
 * the plugin's undici-backed client) against raw undici `Pool.request` posting the same bytes to the
 * same simulator, at the same concurrency, rounds interleaved.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx sendgrid.bench.ts
 *
 * The last line is one JSON object: { plugin, pluginPerSecond, rawPerSecond, ratio, concurrency }.
 */
import { createProvider, type EmailMessage, silentLogger } from '@msg/core';
import sendgridPlugin from '@msg/plugin-sendgrid';
import { createSendgridSimulator } from '@msg/plugin-sendgrid/simulator';
import { Pool } from 'undici';

const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const ROUND_MS = Number(process.env.ROUND_MS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SLICE_MS = Number(process.env.SLICE_MS ?? 250);

const simulator = createSendgridSimulator({ recordLimit: 1 });
const origin = await simulator.start();
const account = simulator.account();
const provider = await createProvider(
  sendgridPlugin,
  { apiKey: account.apiKey, baseUrl: origin, maxConnections: CONCURRENCY },
  { instanceId: 'sendgrid-bench', logger: silentLogger, now: Date.now },
);

let counter = 0;
const message = (): EmailMessage => ({
  id: `bench-${++counter}`,
  channel: 'email',
  from: { email: 'sender@example.com', name: 'Sender' },
  to: [{ email: 'to@example.com' }],
  subject: 'Benchmark',
  text: 'Hello from the benchmark',
});

// The exact request the plugin sends, replayed by the raw client.
await provider.send(message() as never, { signal: new AbortController().signal });
const recorded = simulator.requests.at(-1);
if (!recorded) throw new Error('no request recorded');
const rawBody = recorded.body;
const rawHeaders: Record<string, string> = {};
for (const name of ['authorization', 'content-type', 'accept', 'user-agent']) {
  const value = recorded.headers[name];
  if (typeof value === 'string') rawHeaders[name] = value;
}
const pool = new Pool(origin, { connections: CONCURRENCY, keepAliveTimeout: 30_000 });

async function rawSend(): Promise<void> {
  const response = await pool.request({
    method: 'POST',
    path: '/v3/mail/send',
    headers: rawHeaders,
    body: rawBody,
  });
  await response.body.text();
  if (response.statusCode !== 202) throw new Error(`raw send answered ${response.statusCode}`);
}

async function pluginSend(): Promise<void> {
  await provider.send(message() as never, { signal: new AbortController().signal });
}

interface Tally {
  sends: number;
  milliseconds: number;
  cpuMicroseconds: number;
}

async function slice(operation: () => Promise<void>, tally: Tally, milliseconds: number): Promise<void> {
  const started = performance.now();
  const deadline = started + milliseconds;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await operation();
        tally.sends++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  tally.milliseconds += performance.now() - started;
  tally.cpuMicroseconds += used.user + used.system;
}

/**
 * One round alternates short plugin and raw slices, so both see the same machine load (the
 * machines are shared and noisy); the round's rate is sends over time summed across its slices.
 */
async function round(milliseconds: number): Promise<{ plugin: Tally; raw: Tally }> {
  const plugin: Tally = { sends: 0, milliseconds: 0, cpuMicroseconds: 0 };
  const raw: Tally = { sends: 0, milliseconds: 0, cpuMicroseconds: 0 };
  const slices = Math.max(1, Math.round(milliseconds / SLICE_MS / 2));
  for (let index = 0; index < slices; index++) {
    await slice(pluginSend, plugin, SLICE_MS);
    await slice(rawSend, raw, SLICE_MS);
  }
  return { plugin, raw };
}

const perSecond = (tally: Tally) => tally.sends / (tally.milliseconds / 1000);
const cpuPerSend = (tally: Tally) => tally.cpuMicroseconds / Math.max(1, tally.sends);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

// Warm both paths (JIT, sockets) before measuring.
await round(ROUND_MS);
const pluginRounds: number[] = [];
const rawRounds: number[] = [];
const ratios: number[] = [];
for (let index = 1; index <= ROUNDS; index++) {
  const { plugin, raw } = await round(ROUND_MS);
  pluginRounds.push(perSecond(plugin));
  rawRounds.push(perSecond(raw));
  ratios.push(perSecond(plugin) / perSecond(raw));
  console.log(
    `round ${index}: plugin ${perSecond(plugin).toFixed(0)}/s (${cpuPerSend(plugin).toFixed(0)} µs CPU/send), ` +
      `raw undici ${perSecond(raw).toFixed(0)}/s (${cpuPerSend(raw).toFixed(0)} µs CPU/send), ` +
      `ratio ${(perSecond(plugin) / perSecond(raw)).toFixed(3)}`,
  );
}

await provider.close();
await pool.close();
await simulator.stop();

const pluginPerSecond = Math.round(median(pluginRounds));
const rawPerSecond = Math.round(median(rawRounds));
console.log(
  JSON.stringify({
    plugin: '@msg/plugin-sendgrid',
    pluginPerSecond,
    rawPerSecond,
    // Median of the per-round ratios: each round pairs plugin and raw under the same load.
    ratio: Number(median(ratios).toFixed(3)),
    concurrency: CONCURRENCY,
  }),
);
