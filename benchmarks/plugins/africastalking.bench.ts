/**
 * Sends per second through @msg/plugin-africastalking against raw undici `Pool.request` posting
 * the same bytes to the same loopback simulator, at the same concurrency, in one run.
 * Run from benchmarks/plugins: `node --conditions=@msg/source --import tsx africastalking.bench.ts`
 */
import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import africasTalkingPlugin from '@msg/plugin-africastalking';
import { createAfricasTalkingSimulator } from '@msg/plugin-africastalking/simulator';
import { Pool } from 'undici';

const CONCURRENCY = 16;
const SENDS_PER_ROUND = 8000;
const ROUNDS = 5;
const ACCOUNT = { username: 'bench', apiKey: 'atsk_bench_0123456789' };
const TEXT = 'Your verification code is 482913';
const TO = '+254711000001';

async function measure(send: () => Promise<unknown>, total: number): Promise<number> {
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      await send();
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return total / ((performance.now() - begin) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const simulator = createAfricasTalkingSimulator({ accounts: { [ACCOUNT.username]: ACCOUNT.apiKey } });
await simulator.start();

const provider = (await createProvider(
  africasTalkingPlugin,
  { ...ACCOUNT, baseUrl: simulator.url, from: 'BENCH' },
  { instanceId: 'africastalking-bench', logger: silentLogger, now: Date.now },
)) as Provider<'sms'>;
let counter = 0;
const pluginSend = () =>
  provider.send(
    { id: `m-${++counter}`, channel: 'sms', to: TO, text: TEXT, from: 'BENCH' } satisfies SmsMessage,
    {
      signal: new AbortController().signal,
    },
  );

const pool = new Pool(simulator.url, { connections: 50, keepAliveTimeout: 30_000 });
const body = new URLSearchParams({
  username: ACCOUNT.username,
  to: TO,
  message: TEXT,
  from: 'BENCH',
  bulkSMSMode: '1',
}).toString();
const headers = {
  apikey: ACCOUNT.apiKey,
  accept: 'application/json',
  'content-type': 'application/x-www-form-urlencoded',
};
const rawSend = async () => {
  const response = await pool.request({
    method: 'POST',
    path: '/version1/messaging',
    headers,
    body,
    signal: new AbortController().signal,
  });
  await response.body.text();
  if (response.statusCode !== 201) throw new Error(`raw send answered ${response.statusCode}`);
};

// Warm-up: sockets, JIT.
await measure(rawSend, 2000);
await measure(pluginSend, 2000);

const plugin: number[] = [];
const raw: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  raw.push(await measure(rawSend, SENDS_PER_ROUND));
  plugin.push(await measure(pluginSend, SENDS_PER_ROUND));
  simulator.requests.length = 0;
  const last = (values: number[]) => Math.round(values.at(-1) as number);
  console.log(`round ${round}: plugin ${last(plugin)}/s, raw undici ${last(raw)}/s`);
}

await provider.close();
await pool.close();
await simulator.stop();

const pluginPerSecond = Math.round(median(plugin));
const rawPerSecond = Math.round(median(raw));
const ratio = Number((pluginPerSecond / rawPerSecond).toFixed(3));
console.log(`median: plugin ${pluginPerSecond}/s, raw undici ${rawPerSecond}/s, ratio ${ratio}`);
console.log(
  JSON.stringify({
    plugin: '@msg/plugin-africastalking',
    pluginPerSecond,
    rawPerSecond,
    ratio,
    concurrency: CONCURRENCY,
  }),
);
