/**
 * @msg/plugin-ses (the real @aws-sdk/client-sesv2 with SigV4 signing, on the plugin's undici
 * request handler) against raw undici replaying the same signed request to the same simulator;
 * the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx ses.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, silentLogger } from '@msg/core';
import sesPlugin from '@msg/plugin-ses';
import { createSesSimulator } from '@msg/plugin-ses/simulator';
import { emailMessages, runReplayBench, settingsFromEnvironment } from './harness.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const settings = settingsFromEnvironment();

const simulator = createSesSimulator({ recordLimit: 1 });
const origin = await simulator.start();
const provider = (await createProvider(
  sesPlugin,
  {
    region: 'us-east-1',
    baseUrl: origin,
    accessKeyId: 'AKIABENCHMARK0000001',
    secretAccessKey: 'benchmark-secret',
    maxConnections: settings.concurrency,
  },
  { instanceId: 'ses-bench', logger: silentLogger, now: Date.now },
)) as Provider<'email'>;
const message = emailMessages('sender@example.com');
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-ses', simulator, provider, pluginSend, successStatus: 200 },
  settings,
);
