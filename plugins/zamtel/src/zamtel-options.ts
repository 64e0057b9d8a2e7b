import { z } from 'zod';
import { ZAMTEL_BASE_URL } from './zamtel-api-types.js';

const milliseconds = (fallback: number) => z.number().int().min(1).max(600_000).default(fallback);
/** Zamtel sender ids are alphanumeric, up to 11 characters, approved per account. */
const senderId = z
  .string()
  .regex(/^[A-Za-z0-9 ._-]{1,11}$/, 'must be an alphanumeric sender id of 1-11 characters');

export const zamtelHttpOptionsSchema = z
  .object({
    mode: z.literal('http').default('http'),
    apiKey: z.string().min(1),
    /** Sender id when a message names none; it must be approved for the key. */
    senderId,
    /** API origin (and optional path prefix); the simulator's URL in tests. */
    baseUrl: z.url({ protocol: /^https?$/ }).default(ZAMTEL_BASE_URL),
    /** Integrations use POST with an empty body; GET is accepted too. */
    method: z.enum(['GET', 'POST']).default('POST'),
    /** Contacts in one request of a batch (`contacts/[a,b,...]`): the URL grows with each. */
    contactsPerRequest: z.number().int().min(1).max(500).default(100),
    /** Most keep-alive sockets this instance opens to the API. */
    connections: z.number().int().min(1).max(1024).default(20),
  })
  .strict();

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

export const zamtelSmppOptionsSchema = z
  .object({
    mode: z.literal('smpp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).default(2775),
    tls: tlsSchema.default(false),
    systemId: z.string().min(1).max(15),
    password: z.string().min(1),
    systemType: z.string().max(12).default(''),
    bindMode: z.enum(['transceiver', 'transmitter-receiver']).default('transceiver'),
    addressRange: z.string().max(40).optional(),
    /** Sender when a message names none. */
    sourceAddress: z.string().min(1).max(20),
    windowSize: z.number().int().min(1).max(1000).default(10),
    responseTimeoutMs: milliseconds(10_000),
    connectTimeoutMs: milliseconds(10_000),
    enquireLinkIntervalMs: z.number().int().min(0).max(600_000).default(30_000),
    queueTimeoutMs: milliseconds(30_000),
    reconnect: z
      .union([
        z.literal(false),
        z.object({ initialDelayMs: z.number().int().min(1), maxDelayMs: z.number().int().min(1) }).strict(),
      ])
      .optional(),
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
    /** `eager` binds in the background at create (receipts keep flowing); `lazy` on the first send. */
    bind: z.enum(['eager', 'lazy']).default('eager'),
    closeTimeoutMs: milliseconds(5_000),
    trackedMessages: z.number().int().min(0).max(10_000_000).default(100_000),
  })
  .strict();

/** `mode` picks the transport: the HTTP bulk API (default) or an SMPP bind. */
export const zamtelOptionsSchema = z.discriminatedUnion('mode', [
  zamtelHttpOptionsSchema,
  zamtelSmppOptionsSchema,
]);

export type ZamtelPluginOptions = z.input<typeof zamtelOptionsSchema>;
export type ZamtelHttpOptions = z.output<typeof zamtelHttpOptionsSchema>;
export type ZamtelSmppOptions = z.output<typeof zamtelSmppOptionsSchema>;
