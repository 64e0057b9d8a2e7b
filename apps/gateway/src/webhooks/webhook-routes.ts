import { createHash } from 'node:crypto';
import { WebhookVerificationError } from '@msg/core';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http/http-error.js';
import type { ServerContext } from '../http/server-context.js';
import { ingestEvents } from './ingest-events.js';

/**
 * `POST /webhooks/:providerInstanceId`: the body stays raw bytes whatever its content type
 * (signatures cover the exact bytes), the instance's plugin verifies and normalises it, and the
 * events are stored. A bad or missing signature, or a replay token already used with other
 * content, is a 401 and stores nothing.
 *
 * `GET` goes to the same plugin: a provider's subscription handshake (WhatsApp's `hub.challenge`,
 * answered with what `parseWebhook` puts in `response`) or receipts sent as a query string
 * (Vonage, Mitto). A plugin that takes no GET refuses it like any unverifiable request.
 */
export async function webhookRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.route<{ Params: { providerInstanceId: string } }>({
    method: ['GET', 'POST'],
    url: '/webhooks/:providerInstanceId',
    handler: async (request, reply) => {
      const { providers, callbacks } = context.runtime();
      const id = request.params.providerInstanceId;
      const hosted = providers.get(id);
      if (!hosted?.provider.parseWebhook)
        throw new HttpError(404, 'not_found', `no webhook endpoint for ${id}`);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const rawBody = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
      let result: Awaited<ReturnType<NonNullable<typeof hosted.provider.parseWebhook>>>;
      try {
        result = await hosted.provider.parseWebhook({
          method: request.method,
          url: `${context.lifecycle.publicUrl.replace(/\/$/, '')}${request.url}`,
          headers,
          rawBody,
          remoteAddress: request.ip,
        });
      } catch (error) {
        if (WebhookVerificationError.isInstance(error)) {
          context.logger.warn(`webhook for ${id} refused: ${error.message}`, { provider: id });
          context.metrics.webhookEvents.inc({ provider: id, outcome: 'rejected' });
          throw new HttpError(401, 'invalid_signature', 'the webhook signature did not verify');
        }
        context.logger.warn(`webhook for ${id} could not be read: ${(error as Error).message}`, {
          provider: id,
        });
        throw new HttpError(400, 'invalid_webhook', 'the webhook body could not be read');
      }
      // A provider's retry resends the same bytes, so the body's hash tells a retry (accepted,
      // stored once) from a replayed signature carrying other content (refused).
      const replay = result.replayToken
        ? { token: result.replayToken, contentHash: createHash('sha256').update(rawBody).digest('hex') }
        : undefined;
      const outcome = await ingestEvents(
        id,
        result.events,
        {
          store: context.store,
          logger: context.logger,
          metrics: context.metrics,
          now: context.now,
          onCallbackQueued: () => callbacks.kick(),
          receiptWindowMs: context.config.receipts.windowMs,
          onAdvanced: context.deliveredRates.record.bind(context.deliveredRates),
        },
        replay,
      );
      if (outcome === 'replayed') {
        context.logger.warn(
          `webhook for ${id} refused: its replay token was already used with other content`,
          {
            provider: id,
          },
        );
        context.metrics.webhookEvents.inc({ provider: id, outcome: 'rejected' });
        throw new HttpError(401, 'replayed_webhook', 'the webhook was already received with other content');
      }
      const response = result.response;
      if (response) {
        if (response.contentType) reply.header('content-type', response.contentType);
        return reply.code(response.status).send(response.body ?? '');
      }
      return reply.code(200).send('');
    },
  });
}
