import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { z } from 'zod';
import { E164_PATTERN, SENDER_ID_PATTERN } from './sns-api-types.js';
import { createSnsProvider, SNS_PLUGIN_NAME } from './sns-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const snsOptionsSchema = z
  .object({
    /** AWS region that sends the SMS (`eu-west-1`); also the SigV4 credential scope. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1'),
    /** Static credentials; leave both out to use the SDK's default chain (env, profile, IAM role). */
    accessKeyId: z.string().min(16).optional(),
    secretAccessKey: z.string().min(1).optional(),
    /** For temporary (STS) credentials given as static keys. */
    sessionToken: z.string().min(1).optional(),
    /** SNS endpoint override (a simulator, a VPC endpoint); the regional endpoint by default. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    smsType: z.enum(['Transactional', 'Promotional']).default('Transactional'),
    /** Default alphanumeric sender id when a message has no `from`. */
    senderId: z
      .string()
      .regex(SENDER_ID_PATTERN, 'must be 1-11 letters or digits with at least one letter')
      .optional(),
    /** Default origination number (E.164) when a message has no `from`. */
    originationNumber: z.string().regex(E164_PATTERN, 'must be an E.164 number').optional(),
    /** Most USD to pay for one SMS; SNS refuses to send dearer ones. */
    maxPrice: z
      .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal amount in USD')])
      .transform(String)
      .optional(),
    /** Keep-alive connections to SNS per instance. */
    connections: z.number().int().min(1).max(1024).default(64),
  })
  .strict()
  .superRefine((options, context) => {
    const missing = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (options.accessKeyId !== undefined && options.secretAccessKey === undefined) {
      missing(
        'secretAccessKey',
        'is required with accessKeyId (give both, or neither to use the default credential chain)',
      );
    }
    if (options.secretAccessKey !== undefined && options.accessKeyId === undefined) {
      missing(
        'accessKeyId',
        'is required with secretAccessKey (give both, or neither to use the default credential chain)',
      );
    }
    if (options.sessionToken !== undefined && options.accessKeyId === undefined) {
      missing(
        'sessionToken',
        'goes with accessKeyId and secretAccessKey; the default credential chain finds its own',
      );
    }
  });

export type SnsPluginOptions = z.input<typeof snsOptionsSchema>;

const snsPlugin = definePlugin({
  name: SNS_PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: snsOptionsSchema,
  create(options, context) {
    return createSnsProvider(context.instanceId, options);
  },
});

export default snsPlugin;
export { SMS_ATTRIBUTE, SNS_SMS_MAX_LENGTH } from './sns-api-types.js';
export { SNS_ERROR_KINDS, toProviderError } from './sns-error.js';
export { createSnsProvider, type SnsProviderSettings } from './sns-provider.js';
