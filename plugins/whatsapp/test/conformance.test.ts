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
      validation: {
        // Refused before any request by a send, so by validate too.
        refused: [
          {
            label: 'a text over the Cloud API limit of 4096 characters',
            message: (id) => ({ id, channel: 'whatsapp', to: `+${TO}`, text: 'x'.repeat(4097) }),
          },
          {
            label: 'both text and a template',
            message: (id) => ({
              id,
              channel: 'whatsapp',
              to: `+${TO}`,
              text: 'hi',
              template: { name: 'hello_world', language: 'en_US' },
            }),
          },
        ],
      },
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
