import { runConformanceSuite } from '@msg/testing/conformance';
import airtelPlugin, { type AirtelPluginOptions } from '../src/index.js';
import { createAirtelSimulator, SmscConformanceAdapter } from '../src/simulator.js';
import { COPPER, ZED_BANK } from './helpers.js';

runConformanceSuite<AirtelPluginOptions>({
  plugin: airtelPlugin,
  async setup() {
    const smsc = await createAirtelSimulator({
      credentials: { [ZED_BANK.systemId]: ZED_BANK.password, [COPPER.systemId]: COPPER.password },
    });
    // The session re-submits a throttled part `maxRetries` times; the SMSC throttles once more.
    const adapter = new SmscConformanceAdapter(smsc, { throttleRepeats: 3 });
    const options = (account: typeof ZED_BANK): Partial<AirtelPluginOptions> => ({
      host: smsc.host,
      port: smsc.port,
      ...account,
      sourceAddress: 'ZEDBANK',
      responseTimeoutMs: 5000,
      closeTimeoutMs: 500,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      throttleRetry: { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 20 },
    });
    return {
      // SMPP is no HTTP server: the adapter plays the part of SimulatorServer the suite drives.
      simulator: adapter,
      options: options(ZED_BANK),
      otherOptions: options(COPPER),
      credentialOf: (options) => options.systemId,
      secrets: ['password'],
      messageIdIn: {
        none: 'submit_sm has no field an SMSC echoes in its receipts; they match by the SMSC message_id',
      },
      message: (id) => ({ id, channel: 'sms', to: '+260971234567', text: 'Your code is 123456' }),
      errors: [
        { error: 'invalid-destination', kind: 'permanent', providerCode: '0x0000000B' },
        { error: 'invalid-source', kind: 'configuration', providerCode: '0x0000000A' },
        { error: 'invalid-message-length', kind: 'permanent', providerCode: '0x00000001' },
        { error: 'system-error', kind: 'transient', providerCode: '0x00000008' },
        { error: 'submit-failed', kind: 'transient', providerCode: '0x00000045' },
        { error: 'temporary-app-error', kind: 'transient', providerCode: '0x00000064' },
        { error: 'permanent-app-error', kind: 'permanent', providerCode: '0x00000065' },
        { error: 'rejected-app-error', kind: 'permanent', providerCode: '0x00000066' },
        { error: 'throttled', kind: 'rate-limited', providerCode: '0x00000058' },
        { error: 'queue-full', kind: 'rate-limited', providerCode: '0x00000014' },
      ],
      teardown: () => adapter.stop(),
    };
  },
});
