/**
 * Sends per second through @msg/plugin-sns (the real @aws-sdk/client-sns: awsQuery serialisation,
 * SigV4 signing, XML parsing, on the plugin's undici handler) against raw undici `Pool.request`
 * posting the same signed bytes to the same simulator, at the same concurrency. Plugin and raw
 * run in alternating short slices inside each round, so both see the same load on a shared machine.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx sns.bench.ts
 *
 * The last line is one JSON object: { plugin, pluginPerSecond, rawPerSecond, ratio, concurrency }.
 */
import { createProvider, type SmsMessage, silentLogger } from '@msg/core';
import snsPlugin from '@msg/plugin-sns';
import { createSnsSimulator, SNS_SIMULATOR_ACCOUNTS } from '@msg/plugin-sns/simulator';
import { Pool } from 'undici';

const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROUND_MS = Number(process.env.ROUND_MS ?? 2000);
const SLICE_MS = Number(process.env.SLICE_MS ?? 250);

const simulator = createSnsSimulator({ region: 'eu-west-1', recordLimit: 1 });
const origin = await simulator.start();
const account = SNS_SIMULATOR_ACCOUNTS[0];
if (!account) throw new Error('no simulator account');
const provider = await createProvider(
  snsPlugin,
  {
    region: 'eu-west-1',
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
    baseUrl: origin,
    senderId: 'MSG',
    connections: CONCURRENCY,
  },
  { instanceId: 'sns-bench', logger: silentLogger, now: Date.now },
);

let counter = 0;
const message = (): SmsMessage => ({
  id: `bench-${++counter}`,
  channel: 'sms',
  to: '+260971234567',
  text: 'Your verification code is 123456',
});

// The exact signed request the plugin sends, replayed by the raw client (valid for 15 minutes).
await provider.send(message(), { signal: new AbortController().signal });
const recorded = simulator.requests.at(-1);
if (!recorded?.credential) throw new Error('the plugin request was not accepted by the simulator');
const rawBody = recorded.body;
const rawHeaders: Record<string, string> = {};
for (const [name, value] of Object.entries(recorded.headers)) {
  if (typeof value === 'string' && name !== 'connection') rawHeaders[name] = value;
}
const pool = new Pool(origin, { connections: CONCURRENCY, keepAliveTimeout: 30_000 });

async function rawSend(): Promise<void> {
  const response = await pool.request({ method: 'POST', path: '/', headers: rawHeaders, body: rawBody });
  await response.body.arrayBuffer();
  if (response.statusCode !== 200) throw new Error(`raw send answered ${response.statusCode}`);
}

async function pluginSend(): Promise<void> {
  await provider.send(message(), { signal: new AbortController().signal });
}

interface Tally {
  sends: number;
  milliseconds: number;
  cpuMicroseconds: number;
}

const emptyTally = (): Tally => ({ sends: 0, milliseconds: 0, cpuMicroseconds: 0 });

async function slice(operation: () => Promise<void>, tally: Tally): Promise<void> {
  const started = performance.now();
  const deadline = started + SLICE_MS;
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

async function round(): Promise<{ plugin: Tally; raw: Tally }> {
  const plugin = emptyTally();
  const raw = emptyTally();
  for (let index = 0; index < Math.max(1, Math.round(ROUND_MS / SLICE_MS / 2)); index++) {
    await slice(pluginSend, plugin);
    await slice(rawSend, raw);
  }
  return { plugin, raw };
}

const perSecond = (tally: Tally) => tally.sends / (tally.milliseconds / 1000);
const cpuPerSend = (tally: Tally) => tally.cpuMicroseconds / Math.max(1, tally.sends);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

await round(); // warm-up: JIT, sockets, the SDK's middleware cache
const pluginRates: number[] = [];
const rawRates: number[] = [];
const ratios: number[] = [];
for (let index = 1; index <= ROUNDS; index++) {
  const { plugin, raw } = await round();
  pluginRates.push(perSecond(plugin));
  rawRates.push(perSecond(raw));
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

console.log(
  JSON.stringify({
    plugin: '@msg/plugin-sns',
    pluginPerSecond: Math.round(median(pluginRates)),
    rawPerSecond: Math.round(median(rawRates)),
    // Median of per-round ratios: each round pairs plugin and raw under the same load.
    ratio: Number(median(ratios).toFixed(3)),
    concurrency: CONCURRENCY,
  }),
);
