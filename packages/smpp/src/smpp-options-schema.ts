import { z } from 'zod';

const milliseconds = (fallback: number) => z.number().int().min(1).max(600_000).default(fallback);

/** node:tls connect options that make sense in a config file (PEM text, not file paths). */
const tlsSchema = z.union([
  z.boolean(),
  z
    .object({
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      servername: z.string().optional(),
      rejectUnauthorized: z.boolean().optional(),
    })
    .strict(),
]);

/**
 * The options of an SMPP-based provider (`createSmppProvider`), as a zod object shape that a
 * plugin spreads into its own schema: `z.object({ ...smppProviderOptionsShape }).strict()`.
 */
export const smppProviderOptionsShape = {
  /** SMSC host the carrier gives with the bind (usually reached over a VPN or IP allow-list). */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(2775),
  /** SMPP over TLS: `true` or PEM options. */
  tls: tlsSchema.default(false),
  systemId: z.string().min(1).max(15),
  password: z.string().min(1),
  systemType: z.string().max(12).default(''),
  /** One transceiver bind, or a transmitter plus a receiver (two connections). */
  bindMode: z.enum(['transceiver', 'transmitter-receiver']).default('transceiver'),
  addressRange: z.string().max(40).optional(),
  /** Sender when a message names none: the alphanumeric id or number registered with the carrier. */
  sourceAddress: z.string().min(1).max(20),
  /** submit_sm awaiting a response at once. */
  windowSize: z.number().int().min(1).max(1000).default(10),
  responseTimeoutMs: milliseconds(10_000),
  connectTimeoutMs: milliseconds(10_000),
  /** enquire_link after this long without traffic; 0 turns keep-alive off. */
  enquireLinkIntervalMs: z.number().int().min(0).max(600_000).default(30_000),
  /** Longest a message waits unsent (window, rate, rebind) before failing transient. */
  queueTimeoutMs: milliseconds(30_000),
  reconnect: z
    .union([
      z.literal(false),
      z.object({ initialDelayMs: z.number().int().min(1), maxDelayMs: z.number().int().min(1) }).strict(),
    ])
    .optional(),
  /** The throughput the account is contracted for, in submit_sm per second. */
  messagesPerSecond: z.number().positive().max(100_000).optional(),
  burst: z.number().int().min(1).optional(),
  throttleRetry: z
    .object({
      maxRetries: z.number().int().min(0).max(20).optional(),
      initialDelayMs: z.number().int().min(1).optional(),
      maxDelayMs: z.number().int().min(1).optional(),
    })
    .strict()
    .optional(),
  /** registered_delivery: `true` (final receipt), `false`, or the raw SMPP flag. */
  registeredDelivery: z.union([z.boolean(), z.number().int().min(0).max(0x1f)]).default(true),
  concatenation: z.enum(['udh', 'sar', 'payload']).default('udh'),
  referenceBits: z.union([z.literal(8), z.literal(16)]).default(8),
  serviceType: z.string().max(5).optional(),
  messageIdFormat: z
    .object({
      submit: z.enum(['auto', 'hex', 'decimal', 'string']).optional(),
      receipt: z.enum(['auto', 'hex', 'decimal', 'string']).optional(),
    })
    .strict()
    .optional(),
  /**
   * `eager` (default) binds in the background when the instance is created, so receipts for
   * messages sent before a restart are received; `lazy` binds on the first send.
   */
  bind: z.enum(['eager', 'lazy']).default('eager'),
  closeTimeoutMs: milliseconds(5_000),
  /** Sent messages remembered to reconcile their receipts (oldest forgotten first). */
  trackedMessages: z.number().int().min(0).max(10_000_000).default(100_000),
};
