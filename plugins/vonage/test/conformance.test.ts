import { runConformanceSuite } from '@msg/testing/conformance';
import vonagePlugin, { VONAGE_SMS_STATUS_CODES, type VonagePluginOptions } from '../src/index.js';
import {
  ACME,
  GLOBEX,
  optionsFor,
  receiptFields,
  signedReceipt,
  startSimulator,
  WEBHOOK_URL,
} from './helpers.js';

runConformanceSuite<VonagePluginOptions>({
  plugin: vonagePlugin,
  async setup() {
    const simulator = await startSimulator();
    return {
      simulator,
      options: optionsFor(ACME, simulator),
      otherOptions: optionsFor(GLOBEX, simulator),
      credentialOf: (options) => options.apiKey,
      secrets: ['apiSecret', 'signatureSecret'],
      messageIdIn: {
        read: (request) => JSON.parse(Buffer.from(request.body).toString('utf8'))['client-ref'],
      },
      webhookUrl: WEBHOOK_URL,
      message: (id) => ({
        id,
        channel: 'sms',
        to: '+447700900001',
        text: 'Your code is 123456',
        from: 'ACME',
      }),
      validation: {
        refused: [
          {
            label: 'a number of 5 digits (Vonage takes 7 to 15)',
            message: (id) => ({ id, channel: 'sms', to: '+12345', text: 'Your code is 123456' }),
          },
        ],
      },
      errors: [
        { error: 'http:401', kind: 'configuration', providerCode: 'HTTP_401' },
        { error: 'http:429', kind: 'rate-limited', providerCode: 'HTTP_429' },
        { error: 'http:500', kind: 'transient', providerCode: 'HTTP_500' },
        { error: 'http:503', kind: 'transient', providerCode: 'HTTP_503' },
        { error: 'partial:1', kind: 'ambiguous', providerCode: '1' },
        ...Object.entries(VONAGE_SMS_STATUS_CODES).map(([status, entry]) => ({
          error: `status:${status}`,
          kind: entry.kind,
          providerCode: status,
        })),
      ],
      webhooks: {
        // Vonage's receipt statuses (sms.yml `DeliveryReceipt.status`, plus the Reports API's `deleted`).
        statuses: {
          accepted: 'sent',
          buffered: 'sent',
          delivered: 'delivered',
          expired: 'expired',
          failed: 'undelivered',
          rejected: 'failed',
          unknown: 'unknown',
          deleted: 'failed',
        },
        signed: ({ providerMessageId, providerStatus }) =>
          signedReceipt(
            { messageId: providerMessageId, status: providerStatus },
            Math.floor(Date.now() / 1000),
          ),
        signatureHeaders: [],
        unsigned: (request) => {
          const fields = JSON.parse(new TextDecoder().decode(request.rawBody)) as Record<string, string>;
          delete fields.sig;
          return { ...request, rawBody: new TextEncoder().encode(JSON.stringify(fields)) };
        },
        stale: ({ providerMessageId, providerStatus }) =>
          signedReceipt(
            { ...receiptFields(), messageId: providerMessageId, status: providerStatus },
            Math.floor(Date.now() / 1000) - 3600,
          ),
      },
      teardown: () => simulator.stop(),
    };
  },
});
