import type { Router } from '@msg/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';
import { percentageSchema } from './schemas.js';
import type { ServerContext } from './server-context.js';

/**
 * Providers with breaker state, health over the window and their health scores as the router
 * computes them: per route (`scores`), and `score` in the first route that lists the provider.
 */
export function providersView(
  router: Router,
  checks: ReadonlyMap<string, { ok: boolean; detail?: string | undefined }>,
) {
  const status = router.status();
  const scores = new Map<string, Record<string, number>>();
  for (const route of status.routes) {
    for (const provider of route.providers) {
      const byRoute = scores.get(provider.id) ?? {};
      byRoute[route.id] = Math.round(provider.score * 10) / 10;
      scores.set(provider.id, byRoute);
    }
  }
  return {
    providers: status.providers.map((provider) => {
      const byRoute = scores.get(provider.id) ?? {};
      return {
        id: provider.id,
        channel: provider.channel,
        breaker: provider.breaker,
        halted: provider.halted,
        inFlight: provider.inFlight,
        health: {
          successRate: provider.health.successRate,
          meanLatencyMs: provider.health.meanLatencyMs,
          samples: provider.health.samples,
          ...(checks.has(provider.id) ? { check: checks.get(provider.id) } : {}),
        },
        score: Object.values(byRoute)[0],
        scores: byRoute,
      };
    }),
    migrations: status.migrations,
  };
}

export function registerProviderRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get<{ Querystring: { check?: string } }>(
    '/v1/providers',
    {
      onRequest: context.apiKeys.require('read'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { check: { type: 'string', enum: ['true', 'false'] } },
        },
      },
    },
    async (request) => {
      const { router, providers } = context.runtime();
      const checks = new Map<string, { ok: boolean; detail?: string | undefined }>();
      if (request.query.check === 'true') {
        // Active checks ask each provider (an account fetch), bounded so a dead one cannot hang the answer.
        await Promise.all(
          [...providers.values()].map(async ({ entry, provider }) => {
            if (!provider.health) return;
            const signal = AbortSignal.timeout(3000);
            const check = await provider
              .health({ signal })
              .catch((error: unknown) => ({ ok: false, detail: (error as Error).message }));
            checks.set(entry.id, {
              ok: check.ok,
              ...(check.detail === undefined ? {} : { detail: context.redact(check.detail) }),
            });
          }),
        );
      }
      return providersView(router, checks);
    },
  );

  // Operator actions: each is audited with the key that did it.
  const admin = context.apiKeys.require('admin');
  const act = async (
    request: FastifyRequest,
    action: string,
    detail: Record<string, unknown>,
    run: (router: Router) => Promise<void>,
  ) => {
    const { router } = context.runtime();
    await run(router);
    await context.store.appendAudit({
      at: context.now(),
      actor: request.principal?.keyId ?? 'unknown',
      action,
      detail,
    });
    context.logger.info(`admin: ${action}`, { actor: request.principal?.keyId, ...detail });
    return { ok: true, action, ...detail };
  };
  const providerAction = (path: string, action: string, run: (router: Router, id: string) => Promise<void>) =>
    app.post<{ Params: { id: string } }>(
      `/v1/admin/providers/:id/${path}`,
      { onRequest: admin },
      (request) => {
        const { id } = request.params;
        if (!context.runtime().providers.has(id)) throw new HttpError(404, 'not_found', `no provider ${id}`);
        return act(request, action, { provider: id }, (router) => run(router, id));
      },
    );
  providerAction('halt', 'provider.halt', (router, id) => router.haltProvider(id));
  providerAction('resume', 'provider.resume', (router, id) => router.resumeProvider(id));
  providerAction('reset-breaker', 'provider.reset-breaker', (router, id) => router.resetBreaker(id));

  const migrationExists = (id: string) => {
    if (
      !context
        .runtime()
        .router.status()
        .migrations.some((migration) => migration.id === id)
    ) {
      throw new HttpError(404, 'not_found', `no migration ${id}`);
    }
  };
  app.post<{ Params: { id: string }; Body: { percentage: number } }>(
    '/v1/admin/migrations/:id/percentage',
    { onRequest: admin, schema: { body: percentageSchema } },
    (request) => {
      migrationExists(request.params.id);
      const { percentage } = request.body;
      return act(request, 'migration.percentage', { migration: request.params.id, percentage }, (router) =>
        router.setRolloutPercentage(request.params.id, percentage),
      );
    },
  );
  app.post<{ Params: { id: string } }>(
    '/v1/admin/migrations/:id/emergency-stop',
    { onRequest: admin },
    (request) => {
      migrationExists(request.params.id);
      return act(request, 'migration.emergency-stop', { migration: request.params.id }, (router) =>
        router.emergencyStop(request.params.id),
      );
    },
  );
  app.post<{ Params: { id: string } }>('/v1/admin/migrations/:id/resume', { onRequest: admin }, (request) => {
    migrationExists(request.params.id);
    return act(request, 'migration.resume', { migration: request.params.id }, (router) =>
      router.resumeMigration(request.params.id),
    );
  });
}
