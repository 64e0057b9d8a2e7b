/**
 * Sends per second through @msg/plugin-ses (the real @aws-sdk/client-sesv2 with SigV4 signing, on
 * the plugin's undici request handler) against raw undici `Pool.request` posting the same signed
 * bytes to the same simulator, at the same concurrency, rounds interleaved.
 *
 *   cd /work/main && node --conditions=@msg/source --import tsx benchmarks/plugins/ses.bench.ts
 *
 * The last line is one JSON object: { plugin, pluginPerSecond, rawPerSecond, ratio, concurrency }.
 */
import { createProvider, type EmailMessage, silentLogger } from '@msg/core';
import sesPlugin from '@msg/plugin-ses';
import { createSesSimulator } from '@msg/plugin-ses/simulator';
import { Pool } from 'undici';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const ROUND_MS = Number(process.env.ROUND_MS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const simulator = createSesSimulator({ recordLimit: 1 });
const origin = await simulator.start();
const provider = await createProvider(
  sesPlugin,
  {
    region: 'us-east-1',
    baseUrl: origin,
    accessKeyId: 'AKIABENCHMARK0000001',
    secretAccessKey: 'benchmark-secret',
    maxConnections: CONCURRENCY,
  },
  { instanceId: 'ses-bench', logger: silentLogger, now: Date.now },
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

// The exact request the plugin sends (signature included), replayed by the raw client.
await provider.send(message() as never, { signal: new AbortController().signal });
const recorded = simulator.requests.at(-1);
if (!recorded) throw new Error('no request recorded');
const rawBody = recorded.body;
const rawHeaders: Record<string, string> = {};
for (const [name, value] of Object.entries(recorded.headers)) {
  if (typeof value === 'string' && name !== 'host' && name !== 'connection') rawHeaders[name] = value;
}
const pool = new Pool(origin, { connections: CONCURRENCY, keepAliveTimeout: 30_000 });

async function rawSend(): Promise<void> {
  const response = await pool.request({
    method: 'POST',
    path: '/v2/email/outbound-emails',
    headers: rawHeaders,
    body: rawBody,
  });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`raw send answered ${response.statusCode}`);
}

async function pluginSend(): Promise<void> {
  await provider.send(message() as never, { signal: new AbortController().signal });
}

interface Round {
  perSecond: number;
  /** Process CPU time per send: steadier than throughput when other work shares the cores. */
  cpuMicrosecondsPerSend: number;
}

async function measure(operation: () => Promise<void>): Promise<Round> {
  let done = 0;
  const deadline = performance.now() + ROUND_MS;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    perSecond: done / ((performance.now() - started) / 1000),
    cpuMicrosecondsPerSend: (used.user + used.system) / done,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

// Warm both paths (JIT, sockets) before measuring.
await measure(pluginSend);
await measure(rawSend);
const pluginRounds: number[] = [];
const rawRounds: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const plugin = await measure(pluginSend);
  const raw = await measure(rawSend);
  pluginRounds.push(plugin.perSecond);
  rawRounds.push(raw.perSecond);
  console.log(
    `round ${round}: plugin ${plugin.perSecond.toFixed(0)}/s (${plugin.cpuMicrosecondsPerSend.toFixed(0)} µs CPU/send), ` +
      `raw undici ${raw.perSecond.toFixed(0)}/s (${raw.cpuMicrosecondsPerSend.toFixed(0)} µs CPU/send)`,
  );
}

await provider.close();
await pool.close();
await simulator.stop();

const pluginPerSecond = Math.round(median(pluginRounds));
const rawPerSecond = Math.round(median(rawRounds));
console.log(
  JSON.stringify({
    plugin: '@msg/plugin-ses',
    pluginPerSecond,
    rawPerSecond,
    ratio: Number((pluginPerSecond / rawPerSecond).toFixed(3)),
    concurrency: CONCURRENCY,
  }),
);
