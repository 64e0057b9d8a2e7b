import { normalizePhoneNumber, ValidationError } from '@msg/core';
import type { FastifyInstance } from 'fastify';
import type { RecipientCursor } from '../store/message-store.js';
import { emailRecipient } from '../store/recipients.js';
import { invalidRequest } from './http-error.js';
import { summaryView } from './message-view.js';
import type { ServerContext } from './server-context.js';

/** The recipient key as the index holds it: an E.164 number, or an email address in lower case. */
function recipientKey(to: string): string {
  if (to.includes('@')) return emailRecipient(to);
  try {
    return normalizePhoneNumber(to);
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error;
    throw invalidRequest([
      {
        path: 'query.to',
        message: `must be an E.164 number or an email address: ${error.issues[0]?.message}`,
      },
    ]);
  }
}

/** `next` of a page: the last message's time and id, opaque to clients. */
const cursorOf = (createdAt: number, id: string) => `${createdAt}:${id}`;

function parseCursor(text: string): RecipientCursor {
  const match = /^(\d{1,15}):(.{1,200})$/.exec(text);
  if (!match) {
    throw invalidRequest([{ path: 'query.before', message: 'must be the `next` of an earlier page' }]);
  }
  return { createdAt: Number(match[1]), id: match[2] as string };
}

/**
 * `GET /v1/messages?to=…` (monitor): the most recent messages to one recipient, newest first,
 * from an index (no scan). `before` (the `next` of the previous page) pages on.
 */
export function registerMessageSearchRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get<{ Querystring: { to: string; limit?: string; before?: string } }>(
    '/v1/messages',
    {
      onRequest: context.apiKeys.require('monitor'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['to'],
          properties: {
            to: { type: 'string', minLength: 1, maxLength: 320 },
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
            before: { type: 'string', maxLength: 240 },
          },
        },
      },
    },
    async (request) => {
      const { to, before } = request.query;
      const limit = Math.min(100, Math.max(1, Number(request.query.limit ?? 20)));
      const messages = await context.store.recentByRecipient(recipientKey(to), {
        limit,
        before: before === undefined ? undefined : parseCursor(before),
      });
      const last = messages.at(-1);
      return {
        messages: messages.map(summaryView),
        next: messages.length === limit && last ? cursorOf(last.createdAt, last.id) : undefined,
      };
    },
  );
}
