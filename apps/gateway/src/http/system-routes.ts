import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { openApiDocument } from './openapi.js';
import type { ServerContext } from './server-context.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function registerSystemRoutes(app: FastifyInstance, context: ServerContext): void {
  const document = JSON.stringify(openApiDocument(version));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { lifecycle } = context;
    const health = context.store.writeHealth();
    // A store that cannot be written (a full disk) takes no new work: not ready, and why.
    const store = health.writable
      ? {}
      : { store: { writable: false, reason: health.reason, since: new Date(health.since).toISOString() } };
    if (!lifecycle.ready || lifecycle.stopping) {
      return reply.code(503).send({ status: lifecycle.stopping ? 'stopping' : 'starting', ...store });
    }
    const { dispatcher, backlog } = context.runtime();
    // Read fresh: a probe is rare, and the queue's size is what it asks.
    const current = await backlog.refresh();
    const queue = {
      queued: current.queued,
      inFlight: dispatcher.depth.inFlight,
      concurrencyLimit: dispatcher.depth.limit,
      oldestQueuedAgeMs: current.oldestQueuedAt === undefined ? 0 : context.now() - current.oldestQueuedAt,
    };
    if (!health.writable) return reply.code(503).send({ status: 'store-unavailable', ...store, queue });
    // Past the backlog's bound the API refuses every new message: not ready for more.
    const admission = backlog.admit(undefined, 1, current);
    if (!admission.admitted) {
      return reply
        .code(503)
        .header('retry-after', String(admission.retryAfterSeconds))
        .send({ status: 'backlogged', reason: admission.message, queue });
    }
    // The shared state (Redis) away: this instance routes on its last known copy, so it stays in
    // the pool, but says so.
    const shared = lifecycle.sharedState?.();
    if (shared && !shared.connected) {
      return {
        status: 'degraded',
        sharedState: { connected: false, reason: shared.reason, since: new Date(shared.since).toISOString() },
        queue,
      };
    }
    return { status: 'ready', queue };
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', context.metrics.contentType).send(await context.metrics.text());
  });
  app.get('/openapi.json', async (_request, reply) =>
    reply.header('content-type', 'application/json').send(document),
  );
}
