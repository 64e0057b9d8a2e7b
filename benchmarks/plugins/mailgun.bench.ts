/**
 * Sends per second through @msg/plugin-mailgun (the real mailgun.js building the multipart
 * request, on the plugin's undici transport) against raw undici `Pool.request` posting the same
 * bytes to the same simulator, at the same concurrency, rounds interleaved.
 *
 *   cd /work/main/benchmarks/plugins && node --conditions=@msg/source --import tsx mailgun.bench.ts
 *
 * The last line is one JSON object: { plugin, pluginPerSecond, rawPerSecond, ratio, concurrency }.
 */
import { createProvider, type EmailMessage, silentLogger } from '@msg/core';
import mailgunPlugin from '@msg/plugin-mailgun';
import { createMailgunSimulator } from '@msg/plugin-mailgun/simulator';
import { Pool } from 'undici';

const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const ROUND_MS = Number(process.env.ROUND_MS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const account = {
  apiKey: 'key-bench-0123456789',
  signingKey: 'signing-bench',
  domains: ['mg.bench.example'],
};
const simulator = createMailgunSimulator({ accounts: [account] });
const origin = await simulator.start();
const provider = await createProvider(
  mailgunPlugin,
  { apiKey: account.apiKey, domain: 'mg.bench.example', baseUrl: origin, connections: CONCURRENCY },
  { instanceId: 'mailgun-bench', logger: silentLogger, now: Date.now },
);

let counter = 0;
const message = (): EmailMessage => ({
  id: `bench-${++counter}`,
  channel: 'email',
  from: { email: 'sender@mg.bench.example', name: 'Sender' },
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
for (const name of ['authorization', 'content-type']) {
  const value = recorded.headers[name];
  if (typeof value === 'string') rawHeaders[name] = value;
}
const pool = new Pool(origin, { connections: CONCURRENCY, keepAliveTimeout: 30_000 });

async function rawSend(): Promise<void> {
  const response = await pool.request({
    method: 'POST',
    path: '/v3/mg.bench.example/messages',
    headers: rawHeaders,
    body: rawBody,
  });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`raw send answered ${response.statusCode}`);
}

async function pluginSend(): Promise<void> {
  await provider.send(message() as never, { signal: new AbortController().signal });
}

async function measure(operation: () => Promise<void>): Promise<number> {
  let done = 0;
  const deadline = performance.now() + ROUND_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

// Warm both paths (JIT, sockets) before measuring.
await measure(pluginSend);
await measure(rawSend);
const pluginRounds: number[] = [];
const rawRounds: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  pluginRounds.push(await measure(pluginSend));
  rawRounds.push(await measure(rawSend));
  console.log(
    `round ${round}: plugin ${pluginRounds.at(-1)?.toFixed(0)}/s, raw undici ${rawRounds.at(-1)?.toFixed(0)}/s`,
  );
}

await provider.close();
await pool.close();
await simulator.stop();

const pluginPerSecond = Math.round(median(pluginRounds));
const rawPerSecond = Math.round(median(rawRounds));
console.log(
  JSON.stringify({
    plugin: '@msg/plugin-mailgun',
    pluginPerSecond,
    rawPerSecond,
    ratio: Number((pluginPerSecond / rawPerSecond).toFixed(3)),
    concurrency: CONCURRENCY,
  }),
);
