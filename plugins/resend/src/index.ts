import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { z } from 'zod';
import { createResendProvider, RESEND_BASE_URL } from './resend-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const webhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be a Resend webhook signing secret ("whsec_...")');

export const resendOptionsSchema = z
  .object({
    /** A Resend API key (`re_...`); a sending-access key is enough. */
    apiKey: z.string().startsWith('re_', 'must be a Resend API key (it starts with "re_")'),
    /** API origin; `https://api.resend.com` unless told (the simulator's URL in tests). */
    baseUrl: z.url({ protocol: /^https?$/ }).default(RESEND_BASE_URL),
    /** The webhook's signing secret, or two while rotating it. */
    webhookSecret: z.union([webhookSecret, z.array(webhookSecret).min(1).max(2)]).optional(),
    /** Refuse a webhook whose signed timestamp is further than this from now (seconds). */
    webhookToleranceSeconds: z.number().int().min(1).default(300),
    /** `permissive` (default): an invalid email in a batch fails alone; `strict`: the whole call fails. */
    batchValidation: z.enum(['strict', 'permissive']).default('permissive'),
    /** Keep-alive sockets to the API for this instance. */
    maxConnections: z.number().int().min(1).max(1024).default(16),
  })
  .strict();

export type ResendPluginOptions = z.input<typeof resendOptionsSchema>;

const resendPlugin = definePlugin({
  name: '@msg/plugin-resend',
  version,
  specificationVersion: 'v1',
  channels: ['email'],
  optionsSchema: resendOptionsSchema,
  create(options, context) {
    const secrets = options.webhookSecret === undefined ? [] : [options.webhookSecret].flat();
    return createResendProvider(context.instanceId, {
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      webhookSecrets: secrets,
      webhookToleranceSeconds: options.webhookToleranceSeconds,
      batchValidation: options.batchValidation,
      maxConnections: options.maxConnections,
      logger: context.logger,
      now: context.now,
    });
  },
});

export default resendPlugin;
export { RESEND_ERROR_KINDS } from './resend-error.js';
export { createResendProvider, RESEND_BASE_URL, type ResendProviderSettings } from './resend-provider.js';
export { idempotencyKeyFor, MESSAGE_ID_TAG } from './resend-request.js';
export { signatureMatches, signWebhook } from './resend-signature.js';
export { parseWebhookBody, RESEND_STATUS_MAP, verifyResendWebhook } from './resend-webhook.js';
