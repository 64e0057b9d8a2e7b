import { createSmscSimulator, SmscConformanceAdapter } from '@msg/smpp/simulator';
import { runConformanceSuite } from '@msg/testing/conformance';
import mtnPlugin, { type MtnPluginOptions } from '../src/index.js';

const ESMES = { 'mtn-esme-a': 'pass-a', 'mtn-esme-b': 'pass-b' };

// The same suite in SMPP mode, against the SMSC simulator. Webhooks do not apply: receipts come
// over the bind (see mtn-smpp.test.ts).
runConformanceSuite<MtnPluginOptions>({
  plugin: mtnPlugin,
  async setup() {
    const smsc = await createSmscSimulator({ credentials: ESMES, defaultOutcome: 'DELIVRD' });
    // Throttles are answered once: the session does not re-submit them here (maxRetries 0).
    const adapter = new SmscConformanceAdapter(smsc, { throttleRepeats: 1 });
    const optionsFor = (systemId: keyof typeof ESMES): MtnPluginOptions => ({
      mode: 'smpp',
      from: 'ACME',
      smpp: {
        host: smsc.host,
        port: smsc.port,
        systemId,
        password: ESMES[systemId],
        // Bounded so that close() does not wait long for the submit the hang test leaves unanswered.
        responseTimeoutMs: 2000,
        // Throttling surfaces at once as rate-limited instead of being re-submitted by the session.
        throttleRetry: { maxRetries: 0, initialDelayMs: 10 },
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      },
    });
    return {
      simulator: adapter,
      options: optionsFor('mtn-esme-a'),
      otherOptions: optionsFor('mtn-esme-b'),
      credentialOf: (options) => options.smpp?.systemId,
      secrets: ['smpp.password'],
      messageIdIn: {
        none: 'submit_sm has no field an SMSC echoes in its receipts; they match by the SMSC message_id',
      },
      message: (id) => ({
        id,
        channel: 'sms',
        to: '+260961000001',
        text: 'Your code is 123456',
        from: 'ACME',
      }),
      errors: [
        { error: 'ESME_RINVDSTADR', kind: 'permanent', providerCode: '0x0000000B' },
        { error: 'ESME_RX_P_APPN', kind: 'permanent', providerCode: '0x00000065' },
        { error: 'ESME_RINVMSGLEN', kind: 'permanent', providerCode: '0x00000001' },
        { error: 'ESME_RINVSRCADR', kind: 'configuration', providerCode: '0x0000000A' },
        { error: 'ESME_RSYSERR', kind: 'transient', providerCode: '0x00000008' },
        { error: 'ESME_RX_T_APPN', kind: 'transient', providerCode: '0x00000064' },
        { error: 'ESME_RTHROTTLED', kind: 'rate-limited', providerCode: '0x00000058' },
        { error: 'ESME_RMSGQFUL', kind: 'rate-limited', providerCode: '0x00000014' },
      ],
      teardown: () => adapter.stop(),
    };
  },
});
