/**
 * @msg/plugin-mitto against raw undici replaying the same JSON POST to `/sms` on the same
 * simulator; the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx mitto.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import mittoPlugin from '@msg/plugin-mitto';
import { createMittoSimulator } from '@msg/plugin-mitto/simulator';
import { runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const apiKey = 'bench-mitto-api-key';

// No receipt URL: the bench measures sends, not the simulator's callbacks.
const simulator = createMittoSimulator({ accounts: { [apiKey]: 'bench' } });
const origin = await simulator.start();
const provider = (await createProvider(
  mittoPlugin,
  { apiKey, baseUrl: origin, from: 'BENCH', callbackUrl: false },
  { instanceId: 'mitto-bench', logger: silentLogger, now: Date.now },
)) as Provider<'sms'>;
let counter = 0;
const message = (): SmsMessage => ({
  id: `m-${++counter}`,
  channel: 'sms',
  to: '+41751231234',
  text: 'Your verification code is 482913',
  from: 'BENCH',
});
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-mitto', simulator, provider, pluginSend, successStatus: 200 },
  settings,
);
