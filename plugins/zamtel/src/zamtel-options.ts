import { smppProviderOptionsShape } from '@msg/smpp';
import { z } from 'zod';
import { ZAMTEL_BASE_URL } from './zamtel-api-types.js';

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

export const zamtelSmppOptionsSchema = z
  .object({ mode: z.literal('smpp'), ...smppProviderOptionsShape })
  .strict();

/** `mode` picks the transport: the HTTP bulk API (default) or an SMPP bind. */
export const zamtelOptionsSchema = z.discriminatedUnion('mode', [
  zamtelHttpOptionsSchema,
  zamtelSmppOptionsSchema,
]);

export type ZamtelPluginOptions = z.input<typeof zamtelOptionsSchema>;
export type ZamtelHttpOptions = z.output<typeof zamtelHttpOptionsSchema>;
export type ZamtelSmppOptions = z.output<typeof zamtelSmppOptionsSchema>;
