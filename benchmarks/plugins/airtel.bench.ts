/**
 * @msg/plugin-airtel against a bare @msg/smpp session (the anchor: SMPP has no raw-undici
 * equivalent) submitting the same message to the same SMSC simulator, same window, same
 * concurrency; receipts requested by both. The measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx airtel.bench.ts
 */
import { createProvider, type SmsMessage, silentLogger } from '@msg/core';
import airtelPlugin, { type AirtelProvider } from '@msg/plugin-airtel';
import { createAirtelSimulator } from '@msg/plugin-airtel/simulator';
import { createSmppSession } from '@msg/smpp';
import { runPluginBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const credentials = { bench: 'bench-pw', raw: 'raw-pw' };
const smsc = await createAirtelSimulator({ credentials });
const connection = { host: smsc.host, port: smsc.port, windowSize: 50 };

const provider = (await createProvider(
  airtelPlugin,
  { ...connection, systemId: 'bench', password: credentials.bench, sourceAddress: 'BENCH' },
  { instanceId: 'airtel-bench', logger: silentLogger, now: Date.now },
)) as AirtelProvider;
const session = createSmppSession({
  ...connection,
  systemId: 'raw',
  password: credentials.raw,
  providerId: 'raw',
});
await session.connect();
await provider.health({ signal: AbortSignal.timeout(5000) });

let counter = 0;
const text = 'Your verification code is 482913';
const message = (): SmsMessage => ({ id: `m-${++counter}`, channel: 'sms', to: '+260971234567', text });
// The simulator records every submit: forget them as the bench goes.
const trim = setInterval(() => {
  smsc.submits.length = 0;
  smsc.binds.length = 0;
}, 500);

await runPluginBench(
  {
    plugin: '@msg/plugin-airtel',
    pluginSend: () => provider.send(message(), { signal: new AbortController().signal }),
    rawSend: () =>
      session.submit({ to: '+260971234567', from: 'BENCH', text }, { signal: new AbortController().signal }),
    async close() {
      clearInterval(trim);
      await provider.close();
      await session.close();
      await smsc.stop();
    },
  },
  settings,
);
