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
    const depth = context.runtime().dispatcher.depth;
    if (!health.writable)
      return reply.code(503).send({ status: 'store-unavailable', ...store, queue: depth });
    return { status: 'ready', queue: depth };
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', context.metrics.contentType).send(await context.metrics.text());
  });
  app.get('/openapi.json', async (_request, reply) =>
    reply.header('content-type', 'application/json').send(document),
  );
}
