import { runConformanceSuite } from '@msg/testing/conformance';
import whatsAppPlugin, { WHATSAPP_ERROR_CODES, type WhatsAppPluginOptions } from '../src/index.js';
import {
  ACME,
  GLOBEX,
  optionsFor,
  payload,
  signedRequest,
  startSimulator,
  status,
  TO,
  WEBHOOK_URL,
} from './helpers.js';

runConformanceSuite<WhatsAppPluginOptions>({
  plugin: whatsAppPlugin,
  async setup() {
    const simulator = await startSimulator();
    return {
      simulator,
      options: optionsFor(ACME, simulator),
      otherOptions: optionsFor(GLOBEX, simulator),
      credentialOf: (options) => (options.accessToken === ACME.accessToken ? 'acme' : 'globex'),
      secrets: ['accessToken', 'appSecret', 'verifyToken'],
      // Echoed in every status webhook of the message.
      messageIdIn: {
        read: (request) => JSON.parse(Buffer.from(request.body).toString('utf8')).biz_opaque_callback_data,
      },
      webhookUrl: WEBHOOK_URL,
      message: (id) => ({ id, channel: 'whatsapp', to: `+${TO}`, text: 'Your order A-1029 is ready' }),
      errors: Object.entries(WHATSAPP_ERROR_CODES).map(([code, entry]) => ({
        error: `code:${code}`,
        kind: entry.kind,
        providerCode: code,
      })),
      webhooks: {
        // Meta's status words (Cloud API webhooks reference) and ours.
        statuses: {
          sent: 'sent',
          delivered: 'delivered',
          read: 'read',
          played: 'read',
          failed: 'failed',
        },
        signed: ({ providerMessageId, providerStatus }) =>
          signedRequest(
            payload([status(providerMessageId, providerStatus, { biz_opaque_callback_data: 'msg-1' })]),
          ),
        signatureHeaders: ['x-hub-signature-256'],
      },
      teardown: () => simulator.stop(),
    };
  },
});
