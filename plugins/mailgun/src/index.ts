import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { z } from 'zod';
import { createMailgunProvider, MAILGUN_PLUGIN_NAME } from './mailgun-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const mailgunOptionsSchema = z
  .object({
    /** Private API key (Basic `api:KEY`). */
    apiKey: z.string().min(1),
    /** Sending domain, as set up in Mailgun (`mg.example.com`). */
    domain: z.string().min(1),
    /** `us` (api.mailgun.net) or `eu` (api.eu.mailgun.net). */
    region: z.enum(['us', 'eu']).default('us'),
    /** API origin override (a simulator, a proxy); wins over `region`. */
    baseUrl: z.url().optional(),
    /** Sender for messages without `from` (`Name <address>` or an address). */
    defaultFrom: z.string().min(3).optional(),
    /** `o:testmode=yes`: Mailgun accepts and drops every message. */
    testMode: z.boolean().default(false),
    /** HTTP webhook signing key (Mailgun > Sending > Webhooks); required to accept webhooks. */
    webhookSigningKey: z.string().min(1).optional(),
    /** Refuse webhooks signed longer ago than this; 0 disables the check. */
    maxAgeSeconds: z.number().int().min(0).default(300),
    /** Keep-alive sockets to the API. */
    connections: z.number().int().min(1).max(1024).default(16),
  })
  .strict();

export type MailgunPluginOptions = z.input<typeof mailgunOptionsSchema>;

const mailgunPlugin = definePlugin({
  name: MAILGUN_PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['email'],
  optionsSchema: mailgunOptionsSchema,
  create(options, context) {
    return createMailgunProvider(context.instanceId, { ...options, now: () => context.now() });
  },
});

export default mailgunPlugin;
export type { MailgunEventData, MailgunWebhookBody } from './mailgun-api-types.js';
export { MAILGUN_MAX_BATCH_RECIPIENTS } from './mailgun-batch.js';
export { MAILGUN_ERROR_KINDS } from './mailgun-error.js';
export {
  createMailgunProvider,
  MAILGUN_REGION_URLS,
  type MailgunProviderSettings,
  mailgunBaseUrl,
} from './mailgun-provider.js';
export {
  isValidMailgunSignature,
  MAILGUN_FAILURE_REASON_STATUS,
  MAILGUN_STATUS_MAP,
} from './mailgun-webhook.js';
