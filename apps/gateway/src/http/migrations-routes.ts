import {
  CHANNELS,
  type Channel,
  type Message,
  MIGRATION_MODES,
  type MigrationMode,
  type MigrationPlanConfig,
  parseDuration,
} from '@msg/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sideSamples } from '../migrations/migration-analysis.js';
import { ControlError } from '../migrations/migration-control.js';
import { checksView, migrationView, sideMetrics } from '../migrations/migration-view.js';
import { HttpError, invalidRequest } from './http-error.js';
import type { ServerContext } from './server-context.js';

const reason = { type: 'string', minLength: 1, maxLength: 500 } as const;
const reasonBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason },
} as const;
const PLAN_ACTIONS = ['start', 'pause', 'resume', 'promote', 'abort', 'approve'] as const;
type PlanAction = (typeof PLAN_ACTIONS)[number];

const actorOf = (request: FastifyRequest) => request.principal?.keyId ?? 'unknown';

/** Runs a control action; its refusals become API errors that name the field and the reason. */
async function controlled<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ControlError) {
      throw new HttpError(
        error.status,
        error.code,
        error.message,
        error.issues.length > 0 ? [...error.issues] : undefined,
      );
    }
    throw error;
  }
}

function durationParam(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = parseDuration(/^\d+$/.test(value) ? Number(value) : value);
  if (parsed === undefined || parsed <= 0) {
    throw invalidRequest([
      { path: `query.${name}`, message: `must be a duration like 5m or 1h, got ${JSON.stringify(value)}` },
    ]);
  }
  return parsed;
}

function timeParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(time)) {
    throw invalidRequest([
      {
        path: `query.${name}`,
        message: `must be an ISO time or epoch milliseconds, got ${JSON.stringify(value)}`,
      },
    ]);
  }
  return time;
}

/**
 * Migrations and the audit log: read with `monitor` (admin implies it), changed with `admin`.
 * Every change takes a reason and lands in the audit log with who, when, before and after.
 */
export function registerMigrationRoutes(app: FastifyInstance, context: ServerContext): void {
  const monitor = context.apiKeys.require('monitor');
  const admin = context.apiKeys.require('admin');
  const { store, now } = context;

  const view = async (id: string) => {
    const { migrations, router } = context.runtime();
    const [last] = await store.checkHistory(id, { limit: 1 });
    return migrationView(migrations, router, id, now(), last);
  };

  app.get('/v1/migrations', { onRequest: monitor }, async () => {
    const { migrations } = context.runtime();
    return { migrations: await Promise.all([...migrations.migrations.keys()].map(view)) };
  });

  app.get<{ Params: { id: string }; Querystring: { window?: string } }>(
    '/v1/migrations/:id',
    { onRequest: monitor },
    async (request) => {
      const { migrations } = context.runtime();
      const { id } = request.params;
      const info = await controlled(() => migrations.info(id));
      const analysis = migrations.plan(id)?.compiled.analysis;
      const windowMs = durationParam(request.query.window, 'window', analysis?.windowMs ?? 3_600_000);
      const time = now();
      const samples = await sideSamples(
        store,
        info,
        {
          since: time - windowMs,
          until: time,
          receiptWindowMs: analysis?.receiptWindowMs ?? 600_000,
          slowAfterMs: analysis?.slowAfterMs ?? 240_000,
          sameDestinations: analysis?.sameDestinations ?? true,
        },
        time,
      );
      return {
        ...(await view(id)),
        metrics: {
          window: { since: new Date(time - windowMs).toISOString(), until: new Date(time).toISOString() },
          from: sideMetrics(samples.from),
          to: sideMetrics(samples.to),
        },
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: string; before?: string } }>(
    '/v1/migrations/:id/checks',
    { onRequest: monitor },
    async (request) => {
      const { migrations } = context.runtime();
      await controlled(() => migrations.info(request.params.id));
      const limit = Math.min(500, Math.max(1, Number(request.query.limit ?? 50) || 50));
      const before = request.query.before === undefined ? undefined : Number(request.query.before);
      const records = await store.checkHistory(request.params.id, { limit, before });
      return {
        checks: records.map(checksView),
        next: records.length === limit ? records.at(-1)?.id : undefined,
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { since?: string; until?: string; bucket?: string } }>(
    '/v1/migrations/:id/series',
    { onRequest: monitor },
    async (request) => {
      const { migrations } = context.runtime();
      const info = await controlled(() => migrations.info(request.params.id));
      const time = now();
      const until = timeParam(request.query.until, 'until') ?? time;
      const since = timeParam(request.query.since, 'since') ?? until - 6 * 3_600_000;
      const bucketMs = durationParam(request.query.bucket, 'bucket', 5 * 60_000);
      if (since >= until || (until - since) / bucketMs > 2000) {
        throw invalidRequest([
          { path: 'query', message: 'since must be before until, with at most 2000 buckets' },
        ]);
      }
      const receiptWindowMs = migrations.plan(info.id)?.compiled.analysis.receiptWindowMs ?? 600_000;
      const query = { migrationId: info.id, since, until, bucketMs, settledBefore: time - receiptWindowMs };
      const [from, to] = await Promise.all([
        store.series({ ...query, providers: info.from }),
        store.series({ ...query, providers: info.to }),
      ]);
      const iso = (points: typeof from) =>
        points.map((point) => ({ ...point, at: new Date(point.at).toISOString() }));
      return {
        bucketMs,
        since: new Date(since).toISOString(),
        until: new Date(until).toISOString(),
        from: iso(from),
        to: iso(to),
      };
    },
  );

  const migrationAction = <B extends { reason: string }>(
    path: string,
    bodySchema: object,
    run: (id: string, body: B, actor: string) => Promise<unknown>,
  ) =>
    app.post<{ Params: { id: string }; Body: B }>(
      `/v1/admin/migrations/:id/${path}`,
      { onRequest: admin, schema: { body: bodySchema } },
      async (request) => {
        const { id } = request.params;
        await controlled(() => run(id, request.body as B, actorOf(request)));
        return view(id);
      },
    );

  migrationAction<{ percentage: number; reason: string }>(
    'percentage',
    {
      type: 'object',
      additionalProperties: false,
      required: ['percentage', 'reason'],
      properties: { percentage: { type: 'integer', minimum: 0, maximum: 100 }, reason },
    },
    (id, body, actor) => context.runtime().migrations.setPercentage(id, body.percentage, actor, body.reason),
  );
  migrationAction<{ mode: MigrationMode; reason: string }>(
    'mode',
    {
      type: 'object',
      additionalProperties: false,
      required: ['mode', 'reason'],
      properties: { mode: { type: 'string', enum: MIGRATION_MODES }, reason },
    },
    (id, body, actor) => context.runtime().migrations.setMode(id, body.mode, actor, body.reason),
  );
  migrationAction('emergency-stop', reasonBody, (id, body, actor) =>
    context.runtime().migrations.emergencyStop(id, actor, body.reason),
  );
  migrationAction('resume', reasonBody, (id, body, actor) =>
    context.runtime().migrations.resume(id, actor, body.reason),
  );
  migrationAction('reset', reasonBody, (id, body, actor) =>
    context.runtime().migrations.reset(id, actor, body.reason),
  );

  app.put<{ Params: { id: string }; Body: { plan: MigrationPlanConfig; reason: string; start?: boolean } }>(
    '/v1/admin/migrations/:id/plan',
    {
      onRequest: admin,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['plan', 'reason'],
          // The plan itself is checked by @msg/core, which names each field it refuses.
          properties: { plan: { type: 'object' }, reason, start: { type: 'boolean' } },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { plan, reason: why, start } = request.body;
      await controlled(() =>
        context.runtime().migrations.putPlan(id, plan, actorOf(request), why, start !== false),
      );
      return view(id);
    },
  );
  app.post<{ Params: { id: string; action: PlanAction }; Body: { reason: string } }>(
    '/v1/admin/migrations/:id/plan/:action',
    {
      onRequest: admin,
      schema: {
        params: {
          type: 'object',
          required: ['id', 'action'],
          properties: { id: { type: 'string' }, action: { type: 'string', enum: PLAN_ACTIONS } },
        },
        body: reasonBody,
      },
    },
    async (request) => {
      const { id, action } = request.params;
      await controlled(() =>
        context.runtime().migrations.planAction(id, action, actorOf(request), request.body.reason),
      );
      return view(id);
    },
  );

  app.get<{
    Querystring: {
      subject?: string;
      actor?: string;
      since?: string;
      until?: string;
      before?: string;
      limit?: string;
    };
  }>(
    '/v1/admin/audit',
    {
      onRequest: monitor,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            subject: { type: 'string', maxLength: 200 },
            actor: { type: 'string', maxLength: 200 },
            since: { type: 'string' },
            until: { type: 'string' },
            before: { type: 'string', pattern: '^[0-9]+$' },
            limit: { type: 'string', pattern: '^[0-9]+$' },
          },
        },
      },
    },
    async (request) => {
      const query = request.query;
      const limit = Math.min(500, Math.max(1, Number(query.limit ?? 100)));
      const entries = await store.audit({
        subject: query.subject,
        actor: query.actor,
        since: timeParam(query.since, 'since'),
        until: timeParam(query.until, 'until'),
        before: query.before === undefined ? undefined : Number(query.before),
        limit,
      });
      return {
        entries: entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })),
        next: entries.length === limit ? entries.at(-1)?.id : undefined,
      };
    },
  );

  // The seeds' "test failover": where a message would go, with providers assumed down. Nothing is sent.
  app.get<{
    Querystring: { to: string; channel?: Channel; tags?: string; down?: string; from?: string };
  }>(
    '/v1/route',
    {
      onRequest: monitor,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['to'],
          properties: {
            to: { type: 'string', minLength: 1, maxLength: 320 },
            channel: { type: 'string', enum: CHANNELS },
            from: { type: 'string', maxLength: 320 },
            tags: { type: 'string', maxLength: 1000 },
            down: { type: 'string', maxLength: 1000 },
          },
        },
      },
    },
    async (request) => {
      const { router, providers } = context.runtime();
      const query = request.query;
      const list = (text: string | undefined) =>
        text
          ? text
              .split(',')
              .map((item) => item.trim())
              .filter(Boolean)
          : [];
      const down = list(query.down);
      const unknown = down.filter((id) => !providers.has(id));
      if (unknown.length > 0) {
        throw invalidRequest([
          {
            path: 'query.down',
            message: `unknown provider ${unknown.join(', ')} (known: ${[...providers.keys()].join(', ')})`,
          },
        ]);
      }
      const channel = query.channel ?? (query.to.includes('@') ? 'email' : 'sms');
      const tags = list(query.tags);
      const message: Message =
        channel === 'email'
          ? {
              id: 'route-preview',
              channel,
              from: { email: query.from ?? 'preview@example.com' },
              to: [{ email: query.to }],
              subject: 'preview',
              text: 'preview',
              tags,
            }
          : channel === 'whatsapp'
            ? { id: 'route-preview', channel, to: query.to, text: 'preview', tags }
            : {
                id: 'route-preview',
                channel,
                to: query.to,
                text: 'preview',
                tags,
                ...(query.from ? { from: query.from } : {}),
              };
      const decision = await controlled(() => {
        try {
          return router.decide(message);
        } catch (error) {
          throw new ControlError(400, 'invalid_request', (error as Error).message);
        }
      });
      const breakers = new Map(router.status().providers.map((provider) => [provider.id, provider.breaker]));
      const chain = decision.candidates
        .filter((id) => !down.includes(id))
        .map((id) => ({ provider: id, breaker: breakers.get(id) }));
      return {
        route: decision.route,
        reason: decision.reason,
        migration: decision.migration ?? null,
        destination: decision.destination,
        chain,
        first: chain.find((item) => item.breaker !== 'open')?.provider ?? null,
        assumedDown: down,
        excluded: decision.excluded,
      };
    },
  );
}
