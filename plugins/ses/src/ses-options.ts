import { z } from 'zod';
import { namesCertificate } from './ses-sns.js';

const emailAddress = z.object({ email: z.email(), name: z.string().optional() }).strict();

export const sesOptionsSchema = z
  .object({
    /** AWS region of the SES account (`eu-west-1`). */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1'),
    /** Static credentials; leave both out to use the SDK's default chain (env, profile, IAM role). */
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
    /** Endpoint override (the simulator); the SDK's regional endpoint when absent. */
    baseUrl: z.url().optional(),
    /** Sender for messages that name none. */
    defaultFrom: emailAddress.optional(),
    /** SES configuration set: event publishing to SNS is set up on it. */
    configurationSetName: z.string().min(1).optional(),
    /** SNS topics whose notifications this instance accepts; none accepted while empty. */
    allowedTopicArns: z.array(z.string().startsWith('arn:')).default([]),
    /** Notifications older than this are refused as replays. */
    webhookMaxAgeSeconds: z.number().int().positive().default(3600),
    /** Confirm SNS subscriptions by visiting their SubscribeURL (otherwise they are only logged). */
    autoConfirmSubscriptions: z.boolean().default(false),
    /**
     * SigningCertURL -> PEM served inline instead of downloaded: for the simulator, whose
     * certificate is not on AWS. An entry is refused unless its URL is an SNS URL named after the
     * PEM's own SHA-256 (as the simulator names its certificate), so it can never replace AWS's.
     */
    trustedCertificates: z
      .record(z.string(), z.string().includes('-----BEGIN CERTIFICATE-----'))
      .refine((entries) => Object.entries(entries).every(([url, pem]) => namesCertificate(url, pem)), {
        message: "each URL must be an https SNS URL named after its PEM's SHA-256, as the simulator names it",
      })
      .optional(),
    /** Keep-alive sockets to SES. */
    maxConnections: z.number().int().positive().default(64),
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

/** Options as written in config (defaults not yet applied). */
export type SesPluginOptions = z.input<typeof sesOptionsSchema>;
/** Options after validation. */
export type SesOptions = z.output<typeof sesOptionsSchema>;
