import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { z } from 'zod';
import { createSendgridProvider, SENDGRID_BASE_URL, SENDGRID_EU_BASE_URL } from './sendgrid-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const sendgridOptionsSchema = z
  .object({
    /** A SendGrid API key with the mail.send scope. */
    apiKey: z.string().startsWith('SG.', 'must be a SendGrid API key (it starts with "SG.")'),
    /** API origin; defaults to the region's (the simulator's URL in tests). */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** `eu` sends through api.eu.sendgrid.com (EU-pinned subusers). */
    dataResidency: z.enum(['global', 'eu']).default('global'),
    /** The Signed Event Webhook's verification key, base64 SPKI DER as SendGrid shows it (or PEM). */
    webhookVerificationKey: z.string().min(1).optional(),
    /** Refuse webhooks whose signed timestamp is further than this from now (seconds; 0 = no check). */
    webhookMaxAgeSeconds: z.number().int().min(0).default(600),
    /** SendGrid validates the request and answers 200 without sending (mail_settings.sandbox_mode). */
    sandboxMode: z.boolean().default(false),
    ipPoolName: z.string().min(2).max(64).optional(),
    /** Keep-alive sockets to the API for this instance. */
    maxConnections: z.number().int().min(1).max(1024).default(32),
  })
  .strict();

export type SendgridPluginOptions = z.input<typeof sendgridOptionsSchema>;

const sendgridPlugin = definePlugin({
  name: '@msg/plugin-sendgrid',
  version,
  specificationVersion: 'v1',
  channels: ['email'],
  optionsSchema: sendgridOptionsSchema,
  create(options, context) {
    const regional = options.dataResidency === 'eu' ? SENDGRID_EU_BASE_URL : SENDGRID_BASE_URL;
    return createSendgridProvider(context.instanceId, {
      apiKey: options.apiKey,
      baseUrl: options.baseUrl ?? regional,
      webhookVerificationKey: options.webhookVerificationKey,
      webhookMaxAgeSeconds: options.webhookMaxAgeSeconds,
      sandboxMode: options.sandboxMode,
      ipPoolName: options.ipPoolName,
      maxConnections: options.maxConnections,
      logger: context.logger,
      now: context.now,
    });
  },
});

export default sendgridPlugin;
export { SENDGRID_ERROR_KINDS } from './sendgrid-error.js';
export {
  createSendgridProvider,
  SENDGRID_BASE_URL,
  SENDGRID_EU_BASE_URL,
  type SendgridProviderSettings,
} from './sendgrid-provider.js';
export { MESSAGE_ID_ARGUMENT } from './sendgrid-request.js';
export {
  SENDGRID_IGNORED_EVENTS,
  SENDGRID_STATUS_MAP,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyEventSignature,
} from './sendgrid-webhook.js';
