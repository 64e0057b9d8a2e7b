import { isIpAddressOrBlock } from '@msg/core';
import { z } from 'zod';

const milliseconds = z.number().int().min(0).max(600_000);

/** The SMPP bind, passed to `@msg/smpp`'s `createSmppSession` (names as MTN's bind sheet gives them). */
export const mtnSmppOptionsSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).default(2775),
    /** SMPP over TLS. */
    tls: z.boolean().default(false),
    systemId: z.string().min(1).max(15),
    password: z.string().min(1),
    systemType: z.string().max(12).optional(),
    addressRange: z.string().optional(),
    bindMode: z.enum(['transceiver', 'transmitter-receiver']).default('transceiver'),
    /** submit_sm awaiting a response at once. */
    window: z.number().int().min(1).max(1000).default(10),
    /** The contract's submit_sm per second; unlimited when absent. */
    throughput: z.number().positive().max(100_000).optional(),
    burst: z.number().int().min(1).optional(),
    responseTimeoutMs: milliseconds.optional(),
    connectTimeoutMs: milliseconds.optional(),
    enquireLinkIntervalMs: milliseconds.optional(),
    queueTimeoutMs: milliseconds.optional(),
    reconnect: z
      .union([
        z.literal(false),
        z.object({ initialDelayMs: milliseconds, maxDelayMs: milliseconds }).partial().strict(),
      ])
      .optional(),
    throttleRetry: z
      .object({
        maxRetries: z.number().int().min(0).max(100),
        initialDelayMs: milliseconds,
        maxDelayMs: milliseconds,
      })
      .partial()
      .strict()
      .optional(),
    concatenation: z.enum(['udh', 'sar', 'payload']).optional(),
    serviceType: z.string().max(5).optional(),
    messageIdFormat: z
      .object({
        submit: z.enum(['auto', 'hex', 'decimal', 'string']),
        receipt: z.enum(['auto', 'hex', 'decimal', 'string']),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

export const mtnOptionsSchema = z
  .object({
    /** `api` (SMS API v3, default) or `smpp` (a bind MTN provisions separately). */
    mode: z.enum(['api', 'smpp']).default('api'),
    /** API mode: the app's consumer key and secret from MTN's developer portal. */
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /** API mode: origin (and optional path prefix); MTN's production API by default. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** API mode: the service code (short code) the account is provisioned with. */
    serviceCode: z.string().min(1).max(20).optional(),
    /** Default sender id or short code when a message names none. */
    from: z.string().min(1).max(15).optional(),
    /** `requestDeliveryReceipt` (API) / registered_delivery (SMPP). */
    requestDeliveryReceipt: z.boolean().default(true),
    /** Refresh the token this long before it expires (capped at half its lifetime). */
    refreshMarginSeconds: z.number().int().min(0).max(3600).default(60),
    /** Longest a token or subscription request may take. */
    tokenTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Most keep-alive sockets this instance opens to the API. */
    connections: z.number().int().min(1).max(1024).default(50),
    /** Secret expected as `?token=` on the delivery-report URL; required to register and accept reports. */
    webhookToken: z.string().min(16).optional(),
    /** Addresses or CIDR blocks delivery reports may come from. */
    allowedIps: z
      .array(z.string().refine(isIpAddressOrBlock, { message: 'must be an IP address or a CIDR block' }))
      .optional(),
    /** Register the delivery-report URL with MTN (once per instance, before the first send). */
    registerDeliveryReports: z.boolean().default(true),
    /** `targetSystem` of the subscription: the name MTN records for the receiving system. */
    targetSystem: z.string().min(1).max(64).default('msg-gateway'),
    /** After a failed registration, wait this long before the next attempt. */
    subscriptionRetryMs: z.number().int().min(0).max(86_400_000).default(60_000),
    /** SMPP mode: the bind. */
    smpp: mtnSmppOptionsSchema.optional(),
    /** SMPP mode: sent messages whose receipts are awaited, for message ids and multi-part joins. */
    trackedMessages: z.number().int().min(0).max(10_000_000).default(100_000),
  })
  .strict()
  .superRefine((options, context) => {
    const require = (key: keyof typeof options, reason: string) => {
      if (options[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: reason });
    };
    if (options.mode === 'api') {
      require('clientId', 'is required in api mode');
      require('clientSecret', 'is required in api mode');
      require('serviceCode', 'is required in api mode');
    } else {
      require('smpp', 'is required in smpp mode');
    }
  });

export type MtnPluginOptions = z.input<typeof mtnOptionsSchema>;
export type MtnResolvedOptions = z.output<typeof mtnOptionsSchema>;
export type MtnSmppOptions = z.output<typeof mtnSmppOptionsSchema>;
