import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { z } from 'zod';
import { DEFAULT_GRAPH_VERSION, GRAPH_BASE_URL } from './whatsapp-api-types.js';
import { createWhatsAppProvider, PLUGIN_NAME } from './whatsapp-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const whatsAppOptionsSchema = z
  .object({
    /** A system user's access token with `whatsapp_business_messaging`. */
    accessToken: z.string().min(1),
    /** The business phone number's id (not the number itself): it sends, and its statuses are ours. */
    phoneNumberId: z.string().regex(/^\d{1,32}$/, { message: 'must be the numeric phone number id' }),
    /** Graph API origin: Meta's, or a simulator. */
    baseUrl: z.url({ protocol: /^https?$/ }).default(GRAPH_BASE_URL),
    /** Graph version (`v24.0`): pin the one the app was tested with. */
    graphVersion: z
      .string()
      .regex(/^v\d+\.\d+$/, { message: 'must look like v24.0' })
      .default(DEFAULT_GRAPH_VERSION),
    /** The Meta app's secret: status webhooks must carry its X-Hub-Signature-256. Without it every POST is refused. */
    appSecret: z.string().min(1).optional(),
    /** The verify token typed into the app's webhook settings, for the GET handshake. */
    verifyToken: z.string().min(8).optional(),
    /** Let WhatsApp show a preview of the first link of a text message. */
    previewUrl: z.boolean().default(false),
    /** Most keep-alive sockets this instance opens to the API. */
    connections: z.number().int().min(1).max(1024).default(50),
  })
  .strict();

export type WhatsAppPluginOptions = z.input<typeof whatsAppOptionsSchema>;

const whatsAppPlugin = definePlugin({
  name: PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['whatsapp'],
  optionsSchema: whatsAppOptionsSchema,
  create(options, context) {
    return createWhatsAppProvider(context.instanceId, {
      ...options,
      logger: context.logger,
      now: context.now,
    });
  },
});

export default whatsAppPlugin;
export {
  DEFAULT_GRAPH_VERSION,
  GRAPH_BASE_URL,
  type GraphErrorBody,
  type SendRequest,
  type SendResponse,
  type WebhookPayload,
  type WebhookStatus,
} from './whatsapp-api-types.js';
export { WHATSAPP_ERROR_CODES, type WhatsAppErrorCode, whatsAppErrorCode } from './whatsapp-error-codes.js';
export { createWhatsAppProvider, type WhatsAppProviderSettings } from './whatsapp-provider.js';
export { escapeNonAscii, hubSignature, verifyHubSignature } from './whatsapp-signature.js';
export { WHATSAPP_STATUS_MAP, whatsAppStatus } from './whatsapp-status.js';
