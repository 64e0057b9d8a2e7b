/**
 * @msg/plugin-resend (the real resend SDK, on the plugin's per-instance undici pool) against raw
 * undici replaying the same request to the same simulator; the measuring is in harness.ts. The
 * replay leaves out the Idempotency-Key: with it the simulator would answer every raw send from
 * its idempotency store without accepting an email.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx resend.bench.ts
 */
import { createProvider, type Provider, silentLogger } from '@msg/core';
import resendPlugin from '@msg/plugin-resend';
import { createResendSimulator } from '@msg/plugin-resend/simulator';
import { emailMessages, replayRequest, runPluginBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();

const simulator = createResendSimulator({ recordLimit: 1, rateLimit: 1_000_000 });
const origin = await simulator.start();
const provider = (await createProvider(
  resendPlugin,
  { apiKey: simulator.account().apiKey, baseUrl: origin, maxConnections: settings.concurrency },
  { instanceId: 'resend-bench', logger: silentLogger, now: Date.now },
)) as Provider<'email'>;
const message = emailMessages('sender@example.com');
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await pluginSend();
const recorded = simulator.requests.at(-1);
if (!recorded) throw new Error('the simulator recorded no request');
const { 'idempotency-key': _key, ...headers } = recorded.headers;
const raw = replayRequest(
  origin,
  { ...recorded, headers },
  { status: 200, connections: settings.concurrency },
);
// The simulator keeps every accepted email: forget them as the bench goes.
const trim = setInterval(() => {
  simulator.emails.length = 0;
}, 500);

await runPluginBench(
  {
    plugin: '@msg/plugin-resend',
    pluginSend,
    rawSend: raw.send,
    async close() {
      clearInterval(trim);
      await provider.close();
      await raw.close();
      await simulator.stop();
    },
  },
  settings,
);
