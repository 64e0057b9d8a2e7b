/**
 * @msg/plugin-mtn (API mode, token cached) against raw undici replaying the same Bearer JSON POST
 * to the same simulator; the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx mtn.bench.ts
 */
import { createProvider, type SmsMessage, silentLogger } from '@msg/core';
import mtnPlugin, { type MtnProvider } from '@msg/plugin-mtn';
import { createMtnSimulator } from '@msg/plugin-mtn/simulator';
import { runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const account = { clientId: 'bench-client', clientSecret: 'bench-secret-0123' };

const simulator = createMtnSimulator({ accounts: { [account.clientId]: account.clientSecret } });
const origin = await simulator.start();
const provider = (await createProvider(
  mtnPlugin,
  { ...account, baseUrl: origin, serviceCode: '131', from: 'BENCH', connections: settings.concurrency },
  { instanceId: 'mtn-bench', logger: silentLogger, now: Date.now },
)) as MtnProvider;
let counter = 0;
const message = (): SmsMessage => ({
  id: `m-${++counter}`,
  channel: 'sms',
  to: '+260961234567',
  text: 'Your verification code is 482913',
});
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

// The first plugin send fetches the token; the replayed request is the SMS post that follows it.
await runReplayBench(
  { plugin: '@msg/plugin-mtn', simulator, provider, pluginSend, successStatus: 201 },
  settings,
);
