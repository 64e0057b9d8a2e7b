/**
 * @msg/plugin-mailgun (the real mailgun.js building the multipart request, on the plugin's undici
 * transport) against raw undici replaying the same request to the same simulator; the measuring
 * is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx mailgun.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, silentLogger } from '@msg/core';
import mailgunPlugin from '@msg/plugin-mailgun';
import { createMailgunSimulator } from '@msg/plugin-mailgun/simulator';
import { emailMessages, runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const account = {
  apiKey: 'key-bench-0123456789',
  signingKey: 'signing-bench',
  domains: ['mg.bench.example'],
};

const simulator = createMailgunSimulator({ accounts: [account] });
const origin = await simulator.start();
const provider = (await createProvider(
  mailgunPlugin,
  { apiKey: account.apiKey, domain: 'mg.bench.example', baseUrl: origin, connections: settings.concurrency },
  { instanceId: 'mailgun-bench', logger: silentLogger, now: Date.now },
)) as Provider<'email'>;
const message = emailMessages('sender@mg.bench.example');
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-mailgun', simulator, provider, pluginSend, successStatus: 200 },
  settings,
);
