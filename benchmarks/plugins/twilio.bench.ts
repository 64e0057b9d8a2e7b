/**
 * @msg/plugin-twilio (the official twilio SDK over the plugin's undici pool) against raw undici
 * replaying the same request to the same simulator; the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx twilio.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import twilioPlugin from '@msg/plugin-twilio';
import { createTwilioSimulator } from '@msg/plugin-twilio/simulator';
import { runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const accountSid = `AC${'ab'.repeat(16)}`;
const authToken = 'benchmark-auth-token';

const simulator = createTwilioSimulator({ accounts: { [accountSid]: authToken } });
const origin = await simulator.start();
const provider = (await createProvider(
  twilioPlugin,
  { accountSid, authToken, from: '+15005550006', baseUrl: origin },
  { instanceId: 'twilio-bench', logger: silentLogger, now: Date.now },
)) as Provider<'sms'>;
const message: SmsMessage = { id: 'bench', channel: 'sms', to: '+260971234567', text: 'Your code is 123456' };
const pluginSend = () => provider.send(message, { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-twilio', simulator, provider, pluginSend, successStatus: 201 },
  settings,
);
