/**
 * @msg/plugin-africastalking against raw undici replaying the same form POST to the same
 * simulator; the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx africastalking.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import africasTalkingPlugin from '@msg/plugin-africastalking';
import { createAfricasTalkingSimulator } from '@msg/plugin-africastalking/simulator';
import { runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const account = { username: 'bench', apiKey: 'atsk_bench_0123456789' };

const simulator = createAfricasTalkingSimulator({ accounts: { [account.username]: account.apiKey } });
const origin = await simulator.start();
const provider = (await createProvider(
  africasTalkingPlugin,
  { ...account, baseUrl: origin, from: 'BENCH' },
  { instanceId: 'africastalking-bench', logger: silentLogger, now: Date.now },
)) as Provider<'sms'>;
let counter = 0;
const message = (): SmsMessage => ({
  id: `m-${++counter}`,
  channel: 'sms',
  to: '+254711000001',
  text: 'Your verification code is 482913',
  from: 'BENCH',
});
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-africastalking', simulator, provider, pluginSend, successStatus: 201 },
  settings,
);
