import { CHANNELS } from '@msg/core';

/**
 * JSON schemas of the API. Every object is closed (`additionalProperties: false`), so an unknown
 * or misspelt field is a 400 naming it. Shapes that depend on the channel (`to` as a number or as
 * addresses) are checked after the schema by @msg/core's `validateMessage`.
 */

const address = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: { email: { type: 'string', maxLength: 254 }, name: { type: 'string', maxLength: 200 } },
} as const;

const addressList = { type: 'array', maxItems: 50, items: {} } as const;

/** A WhatsApp template; its components are Meta's own objects, checked by `validateMessage`. */
const template = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'language'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 512, description: 'The approved template name' },
    language: { type: 'string', minLength: 2, maxLength: 10, description: 'Its language code (en, en_US)' },
    components: {
      type: 'array',
      maxItems: 20,
      items: { type: 'object', required: ['type'], properties: { type: { type: 'string', minLength: 1 } } },
      description:
        "Header, body and button parameters as the WhatsApp Cloud API takes them ({ type: 'body', parameters: [{ type: 'text', text }] })",
    },
  },
} as const;

export const messageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['to'],
  properties: {
    channel: {
      type: 'string',
      enum: CHANNELS,
      description: 'Inferred when absent: an address means email, a template WhatsApp, anything else SMS',
    },
    /** SMS, WhatsApp: one E.164 number. Email: an address, `{ email, name }`, or a list of them (to, cc and bcc: 50 in all). */
    to: {},
    /** SMS: sender id or number. Email: an address or `{ email, name }`. WhatsApp: none (the instance's number sends). */
    from: {},
    /** SMS and WhatsApp: the text (WhatsApp: only inside the 24-hour window; else a template). Email: the text part. */
    text: { type: 'string' },
    html: { type: 'string' },
    subject: { type: 'string', maxLength: 998 },
    cc: addressList,
    bcc: addressList,
    replyTo: addressList,
    attachments: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['filename', 'contentType', 'content'],
        properties: {
          filename: { type: 'string', minLength: 1 },
          contentType: { type: 'string', minLength: 1 },
          /** Base64. */
          content: { type: 'string' },
          contentId: { type: 'string' },
        },
      },
    },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    template,
    tags: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 64 } },
    metadata: { type: 'object', maxProperties: 20, additionalProperties: { type: 'string', maxLength: 500 } },
    callbackUrl: {
      type: 'string',
      maxLength: 2048,
      description:
        'http(s) URL for status callbacks; loopback, private, link-local and other internal addresses are refused unless the config allows them (callbacks.allow)',
    },
    override: {
      type: 'object',
      additionalProperties: false,
      properties: { provider: { type: 'string', minLength: 1 } },
    },
  },
} as const;

export const emailAddressSchema = address;

export const MAX_BATCH = 1000;

export const batchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['messages'],
  properties: { messages: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: messageSchema } },
} as const;

export const sendQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { wait: { type: 'string', enum: ['true', 'false', '1', '0'] } },
} as const;

export const idParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const percentageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['percentage'],
  properties: { percentage: { type: 'integer', minimum: 0, maximum: 100 } },
} as const;
