/**
 * @msg/plugin-zamtel (HTTP mode) against raw undici replaying the same path-only POST to the same
 * simulator; the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx zamtel.bench.ts
 */
import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import zamtelPlugin from '@msg/plugin-zamtel';
import { createZamtelSimulator } from '@msg/plugin-zamtel/simulator';
import { runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const apiKey = 'zk_bench_0123456789';

const simulator = createZamtelSimulator({ accounts: { bench: { apiKey } } });
const origin = await simulator.start();
const provider = (await createProvider(
  zamtelPlugin,
  { mode: 'http', apiKey, baseUrl: origin, senderId: 'BENCH', connections: settings.concurrency },
  { instanceId: 'zamtel-bench', logger: silentLogger, now: Date.now },
)) as Provider<'sms'>;
let counter = 0;
const message = (): SmsMessage => ({
  id: `m-${++counter}`,
  channel: 'sms',
  to: '+260955123456',
  text: 'Your verification code is 482913',
});
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });
// The simulator keeps every accepted send: forget them as the bench goes.
const trim = setInterval(() => {
  simulator.sends.length = 0;
  simulator.requests.splice(0, Math.max(0, simulator.requests.length - 1));
}, 500);

await runReplayBench(
  { plugin: '@msg/plugin-zamtel', simulator, provider, pluginSend, successStatus: 200 },
  settings,
);
clearInterval(trim);
