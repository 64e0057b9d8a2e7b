import { createRequire } from 'node:module';
import { definePlugin, isIpAddressOrBlock } from '@msg/core';
import { z } from 'zod';
import { defaultBaseUrl } from './africastalking-api-types.js';
import { createAfricasTalkingProvider, PLUGIN_NAME } from './africastalking-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const africasTalkingOptionsSchema = z
  .object({
    /** The application's username; `sandbox` selects the sandbox host. */
    username: z.string().min(1),
    apiKey: z.string().min(1),
    /** API origin (and optional path prefix); defaults to production, or the sandbox for `sandbox`. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Default sender id or short code; Africa's Talking's account default when absent. */
    from: z.string().min(1).max(15).optional(),
    /**
     * The sender ids and short codes registered on the account. When set, `validate` refuses any
     * other sender as Africa's Talking would (`InvalidSenderId`); sends are not held back by it.
     */
    senderIds: z.array(z.string().min(1).max(15)).min(1).optional(),
    /** `enqueue=1|0` on every send when set. */
    enqueue: z.boolean().optional(),
    /** Recipients per request when a batch is grouped; also `capabilities.maxBatchSize`. */
    maxRecipientsPerRequest: z.number().int().min(1).max(10_000).default(1000),
    /** Most keep-alive sockets this instance opens to the API. */
    connections: z.number().int().min(1).max(1024).default(50),
    /** Secret expected as `?token=` on the delivery-report URL; required to accept reports. */
    webhookToken: z.string().min(16).optional(),
    /** Addresses or CIDR blocks delivery reports may come from (checked against the caller's address). */
    allowedIps: z
      .array(z.string().refine(isIpAddressOrBlock, { message: 'must be an IP address or a CIDR block' }))
      .optional(),
  })
  .strict();

export type AfricasTalkingPluginOptions = z.input<typeof africasTalkingOptionsSchema>;

const africasTalkingPlugin = definePlugin({
  name: PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: africasTalkingOptionsSchema,
  create(options, context) {
    return createAfricasTalkingProvider(context.instanceId, {
      ...options,
      baseUrl: options.baseUrl ?? defaultBaseUrl(options.username),
      now: context.now,
    });
  },
});

export default africasTalkingPlugin;
export {
  AFRICASTALKING_BASE_URL,
  AFRICASTALKING_SANDBOX_BASE_URL,
  type AfricasTalkingDeliveryReport,
  type AfricasTalkingRecipient,
  type AfricasTalkingSendResponse,
  defaultBaseUrl,
} from './africastalking-api-types.js';
export { RECIPIENT_STATUS_CODES } from './africastalking-error.js';
export {
  type AfricasTalkingProviderSettings,
  createAfricasTalkingProvider,
} from './africastalking-provider.js';
export { AFRICASTALKING_STATUS_MAP, WEBHOOK_TOKEN_PARAMETER } from './africastalking-webhook.js';
