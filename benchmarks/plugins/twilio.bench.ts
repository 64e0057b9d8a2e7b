// Sends per second through @msg/plugin-twilio (the official SDK over its undici pool) against raw
// undici `Pool.request` posting the same bytes to the same simulator, same concurrency, same run.
// Run: node --import tsx benchmarks/plugins/twilio.bench.ts
import { createProvider, type Provider, silentLogger } from '@msg/core';
import twilioPlugin from '@msg/plugin-twilio';
import { createTwilioSimulator } from '@msg/plugin-twilio/simulator';
import { Pool } from 'undici';

const CONCURRENCY = 16;
const SENDS_PER_ROUND = 4000;
const ROUNDS = 5;
const ACCOUNT_SID = `AC${'ab'.repeat(16)}`;
const AUTH_TOKEN = 'benchmark-auth-token';

async function measure(total: number, send: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < total) {
      next++;
      await send();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const simulator = createTwilioSimulator({ accounts: { [ACCOUNT_SID]: AUTH_TOKEN } });
await simulator.start();
const provider = (await createProvider(
  twilioPlugin,
  { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15005550006', baseUrl: simulator.url },
  { instanceId: 'twilio-bench', logger: silentLogger, now: Date.now },
)) as Provider<'sms'>;
const message = { id: 'bench', channel: 'sms', to: '+260971234567', text: 'Your code is 123456' } as const;

// The raw client replays exactly what the SDK sent: path, headers and body bytes.
await provider.send(message, { signal: new AbortController().signal });
const recorded = simulator.requests[0]!;
const headers: Record<string, string> = {};
for (const [name, value] of Object.entries(recorded.headers)) {
  if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
    headers[name] = value;
}
const pool = new Pool(simulator.url, { connections: 64, keepAliveTimeout: 30_000 });
const rawSend = async () => {
  const response = await pool.request({ path: recorded.path, method: 'POST', headers, body: recorded.body });
  await response.body.text();
  if (response.statusCode !== 201) throw new Error(`raw send answered ${response.statusCode}`);
};
// A signal per message, as the router gives one.
const pluginSend = () => provider.send(message, { signal: new AbortController().signal });

// Warm both paths (JIT, sockets) before timing.
await measure(2000, pluginSend);
await measure(2000, rawSend);

const pluginRates: number[] = [];
const rawRates: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate which goes first so neither always gets the cooler machine.
  const order = round % 2 === 0 ? ['raw', 'plugin'] : ['plugin', 'raw'];
  for (const which of order) {
    if (which === 'plugin') pluginRates.push(await measure(SENDS_PER_ROUND, pluginSend));
    else rawRates.push(await measure(SENDS_PER_ROUND, rawSend));
  }
  console.log(
    `round ${round}: plugin ${pluginRates.at(-1)?.toFixed(0)}/s, raw undici ${rawRates.at(-1)?.toFixed(0)}/s`,
  );
}

await provider.close();
await pool.close();
await simulator.stop();

const pluginPerSecond = Math.round(median(pluginRates));
const rawPerSecond = Math.round(median(rawRates));
console.log(
  JSON.stringify({
    plugin: '@msg/plugin-twilio',
    pluginPerSecond,
    rawPerSecond,
    ratio: Number((pluginPerSecond / rawPerSecond).toFixed(3)),
    concurrency: CONCURRENCY,
  }),
);
