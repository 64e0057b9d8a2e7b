import type { Router } from '@msg/core';
import type { FastifyInstance } from 'fastify';
import { HttpError, invalidRequest } from './http-error.js';
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

  // Operator actions: each is audited with the key that did it, and why.
  const providerAction = (
    path: string,
    run: (id: string, actor: string, reason: string | undefined) => Promise<void>,
  ) =>
    app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
      `/v1/admin/providers/:id/${path}`,
      { onRequest: context.apiKeys.require('admin') },
      async (request) => {
        const { id } = request.params;
        // The body is optional: a reason is welcome, not required, for a halt.
        const body = request.body as Record<string, unknown> | undefined;
        const reason = body?.reason;
        const unknown = Object.keys(body ?? {}).filter((key) => key !== 'reason');
        if (
          unknown.length > 0 ||
          (reason !== undefined && (typeof reason !== 'string' || reason.length === 0 || reason.length > 500))
        ) {
          throw invalidRequest([
            unknown.length > 0
              ? { path: unknown[0] as string, message: 'unknown field' }
              : { path: 'reason', message: 'must be a string of 1 to 500 characters' },
          ]);
        }
        if (!context.runtime().providers.has(id)) throw new HttpError(404, 'not_found', `no provider ${id}`);
        await run(id, request.principal?.keyId ?? 'unknown', reason);
        const provider = context
          .runtime()
          .router.status()
          .providers.find((item) => item.id === id);
        return { id, breaker: provider?.breaker, halted: provider?.halted };
      },
    );
  providerAction('halt', (id, actor, reason) =>
    context.runtime().migrations.haltProvider(id, true, actor, reason),
  );
  providerAction('resume', (id, actor, reason) =>
    context.runtime().migrations.haltProvider(id, false, actor, reason),
  );
  providerAction('reset-breaker', (id, actor, reason) =>
    context.runtime().migrations.resetBreaker(id, actor, reason),
  );
}
