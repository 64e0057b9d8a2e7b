import { createSmscSimulator, SmscConformanceAdapter } from '@msg/smpp/simulator';
import { runConformanceSuite } from '@msg/testing/conformance';
import zamtelPlugin, { type ZamtelPluginOptions } from '../src/index.js';

const ACCOUNTS = { zamtel_zb: 'zb-pass1', zamtel_cb: 'cb-pass2' };

// SMPP mode against the SMSC simulator: receipts come over the bind, so no webhooks.
runConformanceSuite<ZamtelPluginOptions>({
  plugin: zamtelPlugin,
  async setup() {
    const smsc = await createSmscSimulator({ credentials: ACCOUNTS, messageIdFormat: 'decimal' });
    const adapter = new SmscConformanceAdapter(smsc, { throttleRepeats: 3 });
    const options = (systemId: keyof typeof ACCOUNTS): ZamtelPluginOptions => ({
      mode: 'smpp',
      host: smsc.host,
      port: smsc.port,
      systemId,
      password: ACCOUNTS[systemId],
      sourceAddress: 'ZEDBANK',
      responseTimeoutMs: 5000,
      closeTimeoutMs: 500,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      throttleRetry: { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 20 },
    });
    return {
      simulator: adapter,
      options: options('zamtel_zb'),
      otherOptions: options('zamtel_cb'),
      credentialOf: (options) => ('systemId' in options ? (options.systemId as string) : undefined),
      secrets: ['password'],
      messageIdIn: {
        none: 'submit_sm has no field an SMSC echoes in its receipts; they match by the SMSC message_id',
      },
      message: (id) => ({ id, channel: 'sms', to: '+260955123456', text: 'Your code is 123456' }),
      errors: [
        { error: 'invalid-destination', kind: 'permanent', providerCode: '0x0000000B' },
        { error: 'invalid-source', kind: 'configuration', providerCode: '0x0000000A' },
        { error: 'system-error', kind: 'transient', providerCode: '0x00000008' },
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
