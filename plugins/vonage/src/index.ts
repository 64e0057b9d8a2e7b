import { createRequire } from 'node:module';
import { definePlugin, isIpAddressOrBlock } from '@msg/core';
import { z } from 'zod';
import { CALLBACK_URL_MAX_LENGTH, VONAGE_API_HOST, VONAGE_REST_HOST } from './vonage-api-types.js';
import { createVonageProvider, PLUGIN_NAME } from './vonage-provider.js';
import { SIGNATURE_METHODS } from './vonage-signature.js';
import { DEFAULT_SIGNATURE_TOLERANCE_SECONDS, WEBHOOK_TOKEN_PARAMETER } from './vonage-webhook.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const vonageOptionsSchema = z
  .object({
    apiKey: z.string().min(1),
    apiSecret: z.string().min(1),
    /** Default sender (number or alphanumeric id) when a message names none. */
    from: z.string().min(1).max(15).optional(),
    /** SMS API origin (and optional path prefix): `/sms/json`, `/account/get-balance`. */
    restHost: z.url({ protocol: /^https?$/ }).default(VONAGE_REST_HOST),
    /** API origin for the Reports API (`getStatus`). */
    apiHost: z.url({ protocol: /^https?$/ }).default(VONAGE_API_HOST),
    /** Receipt URL sent with each message; the host's webhook URL by default; `false` sends none. */
    callbackUrl: z.union([z.url({ protocol: /^https?$/ }), z.literal(false)]).optional(),
    /** The account's signature secret: receipts must then be signed. */
    signatureSecret: z.string().min(1).optional(),
    signatureMethod: z.enum(SIGNATURE_METHODS).default('md5hash'),
    /** How far a signed receipt's timestamp may be from our clock. */
    signatureToleranceSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(DEFAULT_SIGNATURE_TOLERANCE_SECONDS),
    /** Secret added as `?token=` to the callback URL and required on receipts. */
    webhookToken: z.string().min(16).optional(),
    /** Addresses or CIDR blocks receipts may come from. */
    allowedIps: z
      .array(z.string().refine(isIpAddressOrBlock, { message: 'must be an IP address or a CIDR block' }))
      .optional(),
    /** Milliseconds Vonage tries delivery (`ttl`); Vonage's default is 72 hours. */
    ttl: z.number().int().min(20_000).max(604_800_000).optional(),
    /** Regulatory ids some countries require (India's DLT). */
    entityId: z.string().min(1).optional(),
    contentId: z.string().min(1).optional(),
    /** The account's currency (ISO 4217): Vonage states prices without one. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .default('EUR'),
    /** Most keep-alive sockets this instance opens to the SMS API. */
    connections: z.number().int().min(1).max(1024).default(50),
    /** Multi-part messages remembered for reconciling their parts' receipts. */
    maxTrackedMessages: z.number().int().min(0).max(10_000_000).default(100_000),
  })
  .strict();

export type VonagePluginOptions = z.input<typeof vonageOptionsSchema>;

/** The receipt URL: the chosen one, or the host's, with the instance's token in its query. */
function receiptUrl(callbackUrl: string | false | undefined, webhookUrl: string | undefined, token?: string) {
  const base = callbackUrl === false ? undefined : (callbackUrl ?? webhookUrl);
  if (!base) return undefined;
  const url = new URL(base);
  if (token) url.searchParams.set(WEBHOOK_TOKEN_PARAMETER, token);
  const text = url.toString();
  if (text.length > CALLBACK_URL_MAX_LENGTH) {
    throw new Error(
      `the receipt URL is ${text.length} characters and Vonage takes at most ${CALLBACK_URL_MAX_LENGTH}: set "callbackUrl" to a shorter public URL, or to false to use the account's receipt URL`,
    );
  }
  return text;
}

const vonagePlugin = definePlugin({
  name: PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: vonageOptionsSchema,
  create(options, context) {
    return createVonageProvider(context.instanceId, {
      ...options,
      callbackUrl: receiptUrl(options.callbackUrl, context.webhookUrl, options.webhookToken),
      logger: context.logger,
      now: context.now,
    });
  },
});

export default vonagePlugin;
export {
  DELIVERY_RECEIPT_STATUSES,
  VONAGE_API_HOST,
  VONAGE_REST_HOST,
  type VonageDeliveryReceipt,
  type VonageSmsMessage,
  type VonageSmsResponse,
} from './vonage-api-types.js';
export { VONAGE_SMS_STATUS_CODES } from './vonage-error.js';
export { sumPrices } from './vonage-money.js';
export { createVonageProvider, type VonageProviderSettings } from './vonage-provider.js';
export {
  SIGNATURE_METHODS,
  type SignatureMethod,
  signedString,
  verifyVonageSignature,
  vonageSignature,
} from './vonage-signature.js';
export { reconcileParts, VONAGE_DLR_ERROR_CODES, VONAGE_STATUS_MAP } from './vonage-status.js';
export { WEBHOOK_TOKEN_PARAMETER } from './vonage-webhook.js';
