import { randomBytes } from 'node:crypto';
import { ValidationError } from '@msg/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Scope } from '../http/auth.js';
import type { ServerContext } from '../http/server-context.js';
import type { StoredMessage } from '../store/message-store.js';
import { parseSgMessageId, sendgridActivity } from './sendgrid-activity.js';
import { SendgridApiError, type SendgridErrorItem, sendgridErrorHandler } from './sendgrid-errors.js';
import type { EventKeySource } from './sendgrid-event-key.js';
import { sendgridIssue, sendgridMailRequest } from './sendgrid-mail-request.js';

/** Each field once: a field already named (or a parent of it: `from` before `from.email`) is not named again. */
function onePerField(errors: readonly SendgridErrorItem[]): SendgridErrorItem[] {
  const named: string[] = [];
  return errors.filter(({ field }) => {
    if (field === null) return true;
    if (named.some((earlier) => field === earlier || field.startsWith(`${earlier}.`))) return false;
    named.push(field);
    return true;
  });
}

/**
 * SendGrid's Mail Send API on the gateway (`/v3/...`, registered with that prefix): the Bearer key
 * is a gateway API key whose config enables SendGrid ingress (`apiKeys[].ingress.sendgrid`). Each
 * personalization becomes one message, accepted like any `/v1` message, all of the request's
 * together or none; answers, errors and events are SendGrid's.
 */
export async function sendgridIngressRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  app.setErrorHandler(
    sendgridErrorHandler(context.now, (message, fields) => context.logger.error(message, fields)),
  );
  app.setNotFoundHandler(() => {
    throw SendgridApiError.single(404, 'not found');
  });

  /** A gateway key with SendGrid ingress, as `Authorization: Bearer <key>`. */
  const authenticate = (scope: Scope) => async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const presented =
      typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const entry = context.apiKeys.authenticate(presented);
    if (entry && !entry.config.ingress?.sendgrid) throw SendgridApiError.single(403, 'access forbidden');
    request.principal = await context.apiKeys.admit(entry, scope);
  };

  app.post('/mail/send', { onRequest: authenticate('send') }, async (request, reply) => {
    const keyId = request.principal?.keyId as string;
    const setting = context.config.apiKeys.find((key) => key.id === keyId)?.ingress?.sendgrid;
    const eventWebhookUrl = typeof setting === 'object' ? setting.eventWebhookUrl : undefined;
    const input = request.body;
    const mail = sendgridMailRequest(input, eventWebhookUrl);
    // A 503 here means nothing was stored.
    const runtime = context.runtime();
    const xMessageId = randomBytes(16).toString('base64url');
    const errors: SendgridErrorItem[] = [...mail.errors];
    const prepared: StoredMessage[] = [];
    mail.bodies.forEach((body, index) => {
      try {
        prepared.push(
          context.intake.prepare(runtime, {
            body,
            apiKeyId: keyId,
            ingress: { api: 'sendgrid', xMessageId },
          }),
        );
      } catch (error) {
        if (!ValidationError.isInstance(error)) throw error;
        for (const issue of error.issues)
          errors.push(sendgridIssue(issue, index, input as Record<string, unknown>));
      }
    });
    // Like SendGrid, every problem in one answer, each field named once (its own wording first).
    if (errors.length > 0) throw new SendgridApiError(400, onePerField(errors));
    // Sandbox mode: SendGrid validates and answers 200 without sending anything.
    if (mail.sandbox) return reply.code(200).send('');
    // The request took one token; each further message takes another, as a `/v1` batch does.
    const wait = await context.apiKeys.takeFor(keyId, prepared.length - 1);
    if (wait !== undefined) {
      throw SendgridApiError.single(429, 'too many requests', {
        'retry-after': String(wait),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(context.now() / 1000) + wait),
      });
    }
    await context.intake.acceptAll(runtime, prepared);
    return reply.code(202).header('x-message-id', xMessageId).send('');
  });

  // SendGrid's "Signed Event Webhook" settings: the public key an application verifies events with.
  app.get(
    '/user/webhooks/event/settings/signed',
    { onRequest: authenticate('send') },
    async (_request, reply) => {
      // Reached only with a key that has SendGrid ingress, so the key source exists.
      const key = await (context.eventKey as EventKeySource).get();
      return reply.send({ enabled: true, public_key: key.publicKey });
    },
  );

  // SendGrid's Email Activity: one recipient's message by the `sg_message_id` its events carry.
  app.get<{ Params: { id: string } }>(
    '/messages/:id',
    { onRequest: authenticate('read') },
    async (request, reply) => {
      const { id } = request.params;
      const named = parseSgMessageId(id);
      const message = named ? await context.store.get(named.messageId) : undefined;
      if (
        !named ||
        !message ||
        message.apiKeyId !== request.principal?.keyId ||
        message.ingress?.api !== 'sendgrid' ||
        !id.startsWith(`${message.ingress.xMessageId}.`)
      ) {
        throw SendgridApiError.single(404, 'Resource not found');
      }
      return reply.send(
        sendgridActivity(message, named.recipient, await context.store.events(message.id), id),
      );
    },
  );
}
