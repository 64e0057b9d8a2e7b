/**
 * @msg/plugin-vonage against raw undici replaying the same JSON POST to `/sms/json` on the same
 * simulator; the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx vonage.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import vonagePlugin from '@msg/plugin-vonage';
import { createVonageSimulator } from '@msg/plugin-vonage/simulator';
import { runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const account = { apiKey: 'bench001', apiSecret: 'bench-vonage-secret' };

// No receipt URL: the bench measures sends, not the simulator's callbacks.
const simulator = createVonageSimulator({ accounts: { [account.apiKey]: account.apiSecret } });
const origin = await simulator.start();
const provider = (await createProvider(
  vonagePlugin,
  { ...account, restHost: origin, apiHost: origin, from: 'BENCH', callbackUrl: false },
  { instanceId: 'vonage-bench', logger: silentLogger, now: Date.now },
)) as Provider<'sms'>;
let counter = 0;
const message = (): SmsMessage => ({
  id: `m-${++counter}`,
  channel: 'sms',
  to: '+447400123456',
  text: 'Your verification code is 482913',
  from: 'BENCH',
});
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-vonage', simulator, provider, pluginSend, successStatus: 200 },
  settings,
);
