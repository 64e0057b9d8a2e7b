import { runConformanceSuite } from '@msg/testing/conformance';
import mittoPlugin, { MITTO_RESPONSE_CODES, type MittoPluginOptions } from '../src/index.js';
import { ACME, GLOBEX, optionsFor, report, reportFields, startSimulator, WEBHOOK_URL } from './helpers.js';

runConformanceSuite<MittoPluginOptions>({
  plugin: mittoPlugin,
  async setup() {
    const simulator = await startSimulator();
    return {
      simulator,
      options: optionsFor(ACME, simulator),
      otherOptions: optionsFor(GLOBEX, simulator),
      credentialOf: (options) => (options.apiKey === ACME.apiKey ? 'acme' : 'globex'),
      secrets: ['apiKey', 'webhookToken'],
      messageIdIn: { read: (request) => JSON.parse(Buffer.from(request.body).toString('utf8')).reference },
      webhookUrl: WEBHOOK_URL,
      message: (id) => ({
        id,
        channel: 'sms',
        to: '+41751231234',
        text: 'Your code is 123456',
        from: 'ACME',
      }),
      errors: [
        { error: 'http:401', kind: 'configuration', providerCode: 'HTTP_401' },
        { error: 'http:403', kind: 'configuration', providerCode: 'HTTP_403' },
        { error: 'http:429', kind: 'rate-limited', providerCode: 'HTTP_429' },
        { error: 'http:500', kind: 'transient', providerCode: 'HTTP_500' },
        { error: 'http:503', kind: 'transient', providerCode: 'HTTP_503' },
        ...Object.entries(MITTO_RESPONSE_CODES).map(([code, entry]) => ({
          error: `code:${code}`,
          kind: entry.kind,
          providerCode: code,
        })),
      ],
      validation: {
        refused: [
          {
            label: 'a sender id of 12 characters (Mitto takes 3-11 letters or 3-14 digits)',
            message: (id) => ({ id, channel: 'sms', to: '+41751231234', text: 'code', from: 'ACME-LIMITED' }),
          },
        ],
        isTestRequest: (request) => JSON.parse(Buffer.from(request.body).toString('utf8')).test === true,
        deliveries: async () => {
          await simulator.callbacks.idle();
          return simulator.sent.length;
        },
      },
      webhooks: {
        // The assumed contract's words (README, "Assumed receipt contract"), Mitto's and the SMPP ones.
        statuses: {
          Delivered: 'delivered',
          DELIVRD: 'delivered',
          Undelivered: 'undelivered',
          UNDELIV: 'undelivered',
          Expired: 'expired',
          Rejected: 'failed',
          REJECTD: 'failed',
          Deleted: 'failed',
          Unknown: 'unknown',
          Accepted: 'sent',
          ACCEPTD: 'sent',
          Enroute: 'sent',
          Sent: 'sent',
          Buffered: 'sent',
        },
        signed: ({ providerMessageId, providerStatus }) =>
          report(reportFields({ messageId: providerMessageId, status: providerStatus })),
        signatureHeaders: [],
        // Mitto signs nothing: the secret is the token in the URL.
        unsigned: (request) => ({ ...request, url: WEBHOOK_URL }),
        tamper: (request) => ({ ...request, url: `${WEBHOOK_URL}?token=${ACME.webhookToken}x` }),
      },
      teardown: () => simulator.stop(),
    };
  },
});
