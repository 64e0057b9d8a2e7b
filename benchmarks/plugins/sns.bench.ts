/**
 * @msg/plugin-sns (the real @aws-sdk/client-sns: awsQuery serialisation, SigV4 signing, XML
 * parsing, on the plugin's undici handler) against raw undici replaying the same signed request
 * (valid for 15 minutes) to the same simulator; the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx sns.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, type SmsMessage, silentLogger } from '@msg/core';
import snsPlugin from '@msg/plugin-sns';
import { createSnsSimulator, SNS_SIMULATOR_ACCOUNTS } from '@msg/plugin-sns/simulator';
import { runReplayBench, settingsFromEnvironment } from './harness.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const settings = settingsFromEnvironment();
const account = SNS_SIMULATOR_ACCOUNTS[0];
if (!account) throw new Error('no simulator account');

const simulator = createSnsSimulator({ region: 'eu-west-1', recordLimit: 1 });
const origin = await simulator.start();
const provider = (await createProvider(
  snsPlugin,
  {
    region: 'eu-west-1',
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
    baseUrl: origin,
    senderId: 'MSG',
    connections: settings.concurrency,
  },
  { instanceId: 'sns-bench', logger: silentLogger, now: Date.now },
)) as Provider<'sms'>;
let counter = 0;
const message = (): SmsMessage => ({
  id: `bench-${++counter}`,
  channel: 'sms',
  to: '+260971234567',
  text: 'Your verification code is 123456',
});
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-sns', simulator, provider, pluginSend, successStatus: 200 },
  settings,
);
