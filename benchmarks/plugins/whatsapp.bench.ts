/**
 * @msg/plugin-whatsapp against raw undici replaying the same JSON POST to
 * `/{version}/{phone-number-id}/messages` on the same simulator; the measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx whatsapp.bench.ts
 *
 * Every plugin in sequence: `pnpm bench:plugins` at the repo root.
 */
import { createProvider, type Provider, silentLogger, type WhatsAppMessage } from '@msg/core';
import whatsAppPlugin from '@msg/plugin-whatsapp';
import { createWhatsAppSimulator } from '@msg/plugin-whatsapp/simulator';
import { runReplayBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();
const accessToken = 'bench-whatsapp-access-token';
const phoneNumberId = '106540352242922';

// No webhook URL: the bench measures sends, not the simulator's statuses. Meta's 80/s per number
// would throttle the bench itself, so the simulator's limit is lifted.
const simulator = createWhatsAppSimulator({
  accounts: {
    [accessToken]: { name: 'bench', phoneNumberIds: [phoneNumberId], appSecret: 'bench-app-secret' },
  },
  throughputPerSecond: 1_000_000,
});
const origin = await simulator.start();
const provider = (await createProvider(
  whatsAppPlugin,
  { accessToken, phoneNumberId, baseUrl: origin },
  { instanceId: 'whatsapp-bench', logger: silentLogger, now: Date.now },
)) as Provider<'whatsapp'>;
let counter = 0;
const message = (): WhatsAppMessage => ({
  id: `m-${++counter}`,
  channel: 'whatsapp',
  to: '+260971234567',
  text: 'Your order A-1029 is ready for collection',
});
const pluginSend = () => provider.send(message(), { signal: new AbortController().signal });

await runReplayBench(
  { plugin: '@msg/plugin-whatsapp', simulator, provider, pluginSend, successStatus: 200 },
  settings,
);
