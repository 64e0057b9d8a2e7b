import { ValidationError, type ValidationIssue } from '@msg/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreUnavailableError } from '../store/store-error.js';
import { HttpError, invalidRequest } from './http-error.js';
import type { Accepted } from './message-intake.js';
import { type MessageRequestBody, requestHash } from './message-request.js';
import { acceptedView, messageView } from './message-view.js';
import { batchSchema, idParamsSchema, messageSchema, sendQuerySchema } from './schemas.js';
import type { GatewayRuntime, ServerContext } from './server-context.js';

const MAX_IDEMPOTENCY_KEY = 255;

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY) {
    throw invalidRequest([
      { path: 'headers.idempotency-key', message: `must be 1-${MAX_IDEMPOTENCY_KEY} characters` },
    ]);
  }
  return key;
}

export function registerMessageRoutes(app: FastifyInstance, context: ServerContext): void {
  const { store, config, intake } = context;

  /** A `/v1` body with its key's idempotency: the key as the client gave it, over the JSON body. */
  const accept = (
    runtime: GatewayRuntime,
    body: MessageRequestBody,
    apiKeyId: string,
    idempotencyKey: string | undefined,
    options: { wait?: { timeoutMs: number }; admitted?: boolean } = {},
  ): Promise<Accepted> =>
    intake.accept(
      runtime,
      {
        body,
        apiKeyId,
        idempotency: idempotencyKey ? { key: idempotencyKey, requestHash: requestHash(body) } : undefined,
        schemaChecked: true,
        admitted: options.admitted,
      },
      options.wait,
    );

  const conflict = (key: string, messageId: string) =>
    new HttpError(
      409,
      'idempotency_conflict',
      `Idempotency-Key "${key}" was first used with another request body (message ${messageId})`,
    );

  app.post<{ Body: MessageRequestBody; Querystring: { wait?: string } }>(
    '/v1/messages',
    {
      onRequest: context.apiKeys.require('send'),
      schema: { body: messageSchema, querystring: sendQuerySchema },
    },
    async (request, reply: FastifyReply) => {
      const key = idempotencyKeyOf(request);
      const wait = request.query.wait === 'true' || request.query.wait === '1';
      // A 503 here means nothing was stored.
      const runtime = context.runtime();
      const result = await accept(runtime, request.body, request.principal?.keyId as string, key, {
        wait: wait && !context.lifecycle.stopping ? { timeoutMs: config.dispatch.syncTimeoutMs } : undefined,
      });
      if (result.outcome === 'conflict') throw conflict(key as string, result.messageId);
      if (result.outcome === 'replayed') {
        // The first result, never a second send.
        return reply.code(202).header('idempotent-replayed', 'true').send(acceptedView(result.message));
      }
      // Stored: the answer is 202 even if shutdown began meanwhile. A stopping dispatcher leaves
      // the message queued in the store, and the next start sends it.
      if (result.finished && (await result.finished)) {
        const id = result.message.id;
        const [message, attempts, events] = await Promise.all([
          store.get(id),
          store.attempts(id),
          store.events(id),
        ]);
        if (message) return reply.code(200).send(messageView(message, attempts, events, context.redact));
      }
      return reply
        .code(202)
        .header('location', `/v1/messages/${result.message.id}`)
        .send(acceptedView(result.message));
    },
  );

  app.post<{ Body: { messages: MessageRequestBody[] } }>(
    '/v1/messages/batch',
    { onRequest: context.apiKeys.require('send'), schema: { body: batchSchema } },
    async (request, reply) => {
      const keyId = request.principal?.keyId as string;
      const { messages } = request.body;
      const wait = await context.apiKeys.takeFor(keyId, messages.length - 1);
      if (wait !== undefined) {
        throw new HttpError(
          429,
          'rate_limited',
          `a batch of ${messages.length} exceeds this key's rate limit`,
          undefined,
          {
            'retry-after': String(wait),
          },
        );
      }
      const baseKey = idempotencyKeyOf(request);
      const runtime = context.runtime();
      // A batch is admitted or refused whole.
      intake.admit(runtime, keyId, messages.length);
      const settled = await Promise.allSettled(
        messages.map((body, index) =>
          accept(runtime, body, keyId, baseKey ? `${baseKey}:${index}` : undefined, { admitted: true }),
        ),
      );
      let accepted = 0;
      const results = settled.map((outcome, index) => {
        if (outcome.status === 'fulfilled') {
          const result = outcome.value;
          if (result.outcome === 'conflict') {
            return { index, ...conflict(`${baseKey}:${index}`, result.messageId).toBody() };
          }
          accepted++;
          return {
            index,
            ...acceptedView(result.message),
            ...(result.outcome === 'replayed' ? { replayed: true } : {}),
          };
        }
        const error = outcome.reason;
        if (ValidationError.isInstance(error)) {
          const issues: ValidationIssue[] = error.issues.map((issue) => ({
            path: `messages.${index}${issue.path ? `.${issue.path}` : ''}`,
            message: issue.message,
          }));
          return { index, ...invalidRequest(issues).toBody() };
        }
        if (error instanceof HttpError) return { index, ...error.toBody() };
        if (StoreUnavailableError.isInstance(error)) {
          return {
            index,
            error: { code: 'store_unavailable', message: 'the message store cannot be written' },
          };
        }
        // Never a 500 for the whole batch: the other messages may be stored already.
        context.logger.error('batch: cannot accept a message', { error, index });
        return { index, error: { code: 'internal', message: 'internal error' } };
      });
      const failedWith = (code: string) =>
        results.some((result) => 'error' in result && result.error.code === code);
      const status =
        accepted > 0
          ? 202
          : failedWith('store_unavailable')
            ? 503
            : failedWith('internal')
              ? 500
              : failedWith('insufficient_credit')
                ? 402
                : 400;
      return reply.code(status).send({ accepted, rejected: messages.length - accepted, results });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/messages/:id',
    { onRequest: context.apiKeys.require('read'), schema: { params: idParamsSchema } },
    async (request, reply) => {
      const { id } = request.params;
      const message = await store.get(id);
      // Another key's message is as good as absent, unless the key is an operator's.
      if (
        !message ||
        (message.apiKeyId !== request.principal?.keyId && !request.principal?.scopes.has('monitor'))
      ) {
        throw new HttpError(404, 'not_found', `no message ${id}`);
      }
      const [attempts, events] = await Promise.all([store.attempts(id), store.events(id)]);
      return reply.send(messageView(message, attempts, events, context.redact));
    },
  );
}
