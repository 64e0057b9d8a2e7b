import { createRequire } from 'node:module';
import { definePlugin, isIpAddressOrBlock } from '@msg/core';
import { z } from 'zod';
import { MITTO_BASE_URL } from './mitto-api-types.js';
import { createMittoProvider, PLUGIN_NAME } from './mitto-provider.js';
import { WEBHOOK_TOKEN_PARAMETER } from './mitto-webhook.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const mittoOptionsSchema = z
  .object({
    apiKey: z.string().min(1),
    /** API origin: the geo-resolving host, a regional one (`https://rest-fra.mittoapi.net`) or the simulator. */
    baseUrl: z.url({ protocol: /^https?$/ }).default(MITTO_BASE_URL),
    /** Default sender (alphanumeric 3-11 or numeric 3-14 characters) when a message names none. */
    from: z.string().min(1).max(14).optional(),
    /** Receipt URL sent with each message; the host's webhook URL by default; `false` sends none. */
    callbackUrl: z.union([z.url({ protocol: /^https?$/ }), z.literal(false)]).optional(),
    /** Minutes Mitto keeps trying to deliver; Mitto's default is 2880 (48 h). */
    validity: z.number().int().min(1).max(2880).optional(),
    /** Recipients per bulk request; also `capabilities.maxBatchSize`. */
    maxRecipientsPerRequest: z.number().int().min(1).max(10_000).default(100),
    /** Most keep-alive sockets this instance opens to the API. */
    connections: z.number().int().min(1).max(1024).default(50),
    /** Secret added as `?token=` to the receipt URL and required on reports. */
    webhookToken: z.string().min(16).optional(),
    /** Addresses or CIDR blocks reports may come from. */
    allowedIps: z
      .array(z.string().refine(isIpAddressOrBlock, { message: 'must be an IP address or a CIDR block' }))
      .optional(),
  })
  .strict();

export type MittoPluginOptions = z.input<typeof mittoOptionsSchema>;

/** The receipt URL: the chosen one, or the host's, with the instance's token in its query. */
function receiptUrl(callbackUrl: string | false | undefined, webhookUrl: string | undefined, token?: string) {
  const base = callbackUrl === false ? undefined : (callbackUrl ?? webhookUrl);
  if (!base) return undefined;
  const url = new URL(base);
  if (token) url.searchParams.set(WEBHOOK_TOKEN_PARAMETER, token);
  return url.toString();
}

/** EXPERIMENTAL: Mitto's delivery-report format is assumed, not documented (see the README). */
const mittoPlugin = definePlugin({
  name: PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: mittoOptionsSchema,
  create(options, context) {
    return createMittoProvider(context.instanceId, {
      ...options,
      callbackUrl: receiptUrl(options.callbackUrl, context.webhookUrl, options.webhookToken),
      now: context.now,
    });
  },
});

export default mittoPlugin;
export {
  MITTO_BASE_URL,
  type MittoBulkResponse,
  type MittoSmsRequest,
  type MittoSmsResponse,
} from './mitto-api-types.js';
export { MITTO_RESPONSE_CODES } from './mitto-error.js';
export { createMittoProvider, type MittoProviderSettings } from './mitto-provider.js';
export {
  BULK_REFERENCE_PREFIX,
  MITTO_STATUS_MAP,
  RECEIPT_FIELDS,
} from './mitto-receipt-contract.js';
export { mittoStatus, WEBHOOK_TOKEN_PARAMETER } from './mitto-webhook.js';
