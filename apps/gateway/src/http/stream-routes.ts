import type { FastifyInstance } from 'fastify';
import { LiveFeed } from '../live/live-feed.js';
import { migrationView } from '../migrations/migration-view.js';
import { HttpError } from './http-error.js';
import { providersView } from './providers-routes.js';
import type { ServerContext } from './server-context.js';

/**
 * `GET /v1/stream` (monitor): server-sent events for live pages. `providers` every second
 * (breaker, halted, scores, in flight, the last minute's sends, errors and latency) and
 * `migrations` when one changes; every admin action pushes at once.
 */
export function registerStreamRoutes(app: FastifyInstance, context: ServerContext): void {
  const feed = new LiveFeed(
    {
      providers: () => {
        const { router, activity } = context.runtime();
        const view = providersView(router, new Map());
        return {
          providers: view.providers.map((provider) => ({
            ...provider,
            activity: activity.snapshot(provider.id),
          })),
        };
      },
      migrations: async () => {
        const { migrations, router } = context.runtime();
        const time = context.now();
        return Promise.all(
          [...migrations.migrations.keys()].map(async (id) => {
            const [last] = await context.store.checkHistory(id, { limit: 1 });
            return migrationView(migrations, router, id, time, last);
          }),
        );
      },
    },
    {
      intervalMs: 1000,
      maxClients: 200,
      maxBufferedBytes: 1024 * 1024,
      logger: context.logger,
      now: context.now,
    },
  );

  // A change an operator made shows on every open dashboard at once, not on the next tick.
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && request.url.startsWith('/v1/admin/') && reply.statusCode < 400) {
      feed.kick(true);
    }
  });
  // Open streams would hold the server's close forever.
  app.addHook('preClose', async () => feed.close());

  app.get('/v1/stream', { onRequest: context.apiKeys.require('monitor') }, async (request, reply) => {
    context.runtime();
    if (feed.full) {
      throw new HttpError(
        503,
        'too_many_streams',
        'too many live streams are open; try again later',
        undefined,
        {
          'retry-after': '5',
        },
      );
    }
    reply.hijack();
    feed.add(reply.raw);
    request.raw.on('close', () => reply.raw.end());
  });
}
