import { createRequire } from 'node:module';
import { definePlugin, isIpAddressOrBlock } from '@msg/core';
import { z } from 'zod';
import { createSmtpProvider } from './smtp-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const DEFAULT_DSN = { notify: ['success', 'failure', 'delay'] as const, return: 'headers' as const };

export const smtpOptionsSchema = z
  .object({
    /** The relay's host name (`smtp.gmail.com`, `smtp-relay.gmail.com`, a private MTA). */
    host: z.string().min(1),
    /** Default 465 with `tls: implicit`, else 587 (submission). */
    port: z.number().int().min(1).max(65535).optional(),
    /** `starttls` (required; fails when the relay does not offer it), `implicit` (465), `opportunistic`, `none`. */
    tls: z.enum(['starttls', 'implicit', 'opportunistic', 'none']).default('starttls'),
    /** PEM certificate(s) to trust besides the system store: a private relay's CA. */
    tlsCa: z.string().min(1).optional(),
    /** TLS server name (SNI and certificate check), when it differs from `host`. */
    tlsServername: z.string().min(1).optional(),
    /** Only for a test relay: accept any certificate. */
    tlsRejectUnauthorized: z.boolean().default(true),
    username: z.string().min(1).optional(),
    /** An app password for Gmail. */
    password: z.string().min(1).optional(),
    authMethod: z.enum(['PLAIN', 'LOGIN']).optional(),
    /** Host name sent with EHLO (default: this machine's name). */
    clientName: z.string().min(1).optional(),
    /** Pooled connections to the relay. */
    maxConnections: z.number().int().min(1).max(100).default(5),
    /** Messages one connection sends before it is replaced. */
    maxMessagesPerConnection: z.number().int().min(1).default(100),
    connectionTimeoutMs: z.number().int().min(100).default(10_000),
    greetingTimeoutMs: z.number().int().min(100).default(10_000),
    /** Inactivity on an open connection (a reply that never comes). */
    socketTimeoutMs: z.number().int().min(100).default(60_000),
    /** Most recipients (to + cc + bcc) per message; Gmail takes 100. */
    maxRecipients: z.number().int().min(1).default(100),
    /** Envelope sender (MAIL FROM): where bounces and DSNs go. Default: the message's `from`. */
    returnPath: z.email().optional(),
    /** Right-hand side of our Message-ID. Default: the sender's domain. */
    messageIdDomain: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, 'must be a domain name')
      .optional(),
    /** DSN request (RFC 3461), used only when the relay advertises DSN; `false` asks for none. */
    dsn: z
      .union([
        z.literal(false),
        z
          .object({
            notify: z
              .array(z.enum(['success', 'failure', 'delay']))
              .min(1)
              .default([...DEFAULT_DSN.notify]),
            return: z.enum(['headers', 'full']).default(DEFAULT_DSN.return),
          })
          .strict(),
      ])
      .default({ notify: [...DEFAULT_DSN.notify], return: DEFAULT_DSN.return }),
    /** Secret the DSN hook URL must carry as `?token=`; without it the hook refuses everything. */
    webhookToken: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Addresses or CIDR blocks the DSN hook may be called from. */
    allowedIps: z
      .array(z.string().refine(isIpAddressOrBlock, 'must be an IP address or CIDR block'))
      .optional(),
  })
  .strict()
  .refine((options) => (options.username === undefined) === (options.password === undefined), {
    message: 'username and password go together',
    path: ['password'],
  });

export type SmtpPluginOptions = z.input<typeof smtpOptionsSchema>;

const smtpPlugin = definePlugin({
  name: '@msg/plugin-smtp',
  version,
  specificationVersion: 'v1',
  channels: ['email'],
  optionsSchema: smtpOptionsSchema,
  create(options, context) {
    return createSmtpProvider(context.instanceId, {
      ...options,
      port: options.port ?? (options.tls === 'implicit' ? 465 : 587),
      logger: context.logger,
      now: context.now,
    });
  },
});

export default smtpPlugin;
export type { BounceReport, DeliveryStatusReport, DsnAction, DsnRecipient } from './smtp-api-types.js';
export { parseBounce, parseDeliveryStatus } from './smtp-dsn.js';
export {
  classifyReply,
  enhancedStatusOf,
  SMTP_ENHANCED_STATUS_KINDS,
  toProviderError as toSmtpProviderError,
} from './smtp-error.js';
export { envelopeIdFor, messageIdFor } from './smtp-message.js';
export { createSmtpProvider, type SmtpProviderSettings, type SmtpTlsMode } from './smtp-provider.js';
export { bounceEvents, SMTP_STATUS_MAP } from './smtp-webhook.js';
