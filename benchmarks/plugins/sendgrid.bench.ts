/**
 * @msg/plugin-sendgrid (the real @sendgrid/mail + @sendgrid/client, on the plugin's undici-backed
 * client) against raw undici replaying the same request to the same simulator; the measuring is
 * in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx sendgrid.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, silentLogger } from '@msg/core';
import sendgridPlugin from '@msg/plugin-sendgrid';
import { createSendgridSimulator } from '@msg/plugin-sendgrid/simulator';
import { emailMessages, runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();

const simulator = createSendgridSimulator({ recordLimit: 1 });
const origin = await simulator.start();
const provider = (await createProvider(
  sendgridPlugin,
  { apiKey: simulator.account().apiKey, baseUrl: origin, maxConnections: settings.concurrency },
  { instanceId: 'sendgrid-bench', logger: silentLogger, now: Date.now },
)) as Provider<'email'>;
const message = emailMessages('sender@example.com');
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-sendgrid', simulator, provider, pluginSend, successStatus: 202 },
  settings,
);
