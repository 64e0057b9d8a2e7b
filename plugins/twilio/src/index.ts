import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { z } from 'zod';
import { TWILIO_API_BASE_URL } from './twilio-api-types.js';
import { createTwilioProvider, TWILIO_PLUGIN_NAME } from './twilio-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const twilioOptionsSchema = z
  .object({
    accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be "AC" followed by 32 hex digits'),
    authToken: z.string().min(1),
    /** Default sender (E.164 number, short code or alphanumeric id) when a message names none. */
    from: z.string().min(1).optional(),
    /** Send through a Messaging Service instead of (or along with) a fixed `from`. */
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, 'must be "MG" followed by 32 hex digits')
      .optional(),
    /** Status callback URL, overriding the webhook URL the host gives the instance. */
    statusCallbackUrl: z.url().optional(),
    /** API origin: a regional edge (`https://api.dublin.ie1.twilio.com`) or the simulator. */
    baseUrl: z.url().default(TWILIO_API_BASE_URL),
    /** Seconds a message may wait in Twilio's queue before it fails. */
    validityPeriod: z.number().int().min(1).max(36_000).optional(),
  })
  .strict()
  .refine((options) => options.from !== undefined || options.messagingServiceSid !== undefined, {
    message: 'set "from" or "messagingServiceSid": Twilio needs a sender',
  });

export type TwilioPluginOptions = z.input<typeof twilioOptionsSchema>;

const twilioPlugin = definePlugin({
  name: TWILIO_PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: twilioOptionsSchema,
  create(options, context) {
    return createTwilioProvider(context.instanceId, {
      ...options,
      webhookUrl: context.webhookUrl,
      logger: context.logger,
      now: context.now,
    });
  },
});

export default twilioPlugin;
export { TWILIO_API_BASE_URL, type TwilioMessageStatus } from './twilio-api-types.js';
export { TWILIO_ERROR_KINDS, twilioError, twilioErrorKind } from './twilio-error.js';
export { createTwilioProvider, type TwilioProviderSettings } from './twilio-provider.js';
export {
  twilioSignature,
  verifyTwilioBodySignature,
  verifyTwilioSignature,
} from './twilio-signature.js';
export { parseTwilioWebhook, TWILIO_STATUS_MAP, type TwilioStatus } from './twilio-webhook.js';
