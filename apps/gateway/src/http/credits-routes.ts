import type { FastifyInstance } from 'fastify';
import { formatMicros, parseMicros } from '../costs/money.js';
import type { AccountBalance, LedgerEntry } from '../store/campaign-store.js';
import { HttpError, invalidRequest } from './http-error.js';
import type { ServerContext } from './server-context.js';

const ACCOUNT = /^[a-z0-9][a-z0-9_.-]*$/i;
const GROUPS = ['provider', 'side', 'campaign', 'day'] as const;
type Group = (typeof GROUPS)[number];

function balanceView(balance: AccountBalance, currency: string) {
  return {
    account: balance.account,
    currency,
    balance: formatMicros(balance.balanceMicros),
    held: formatMicros(balance.heldMicros),
    debited: formatMicros(balance.debitedMicros),
  };
}

function entryView(entry: LedgerEntry) {
  return {
    id: entry.id,
    kind: entry.kind,
    amount: formatMicros(entry.amountMicros),
    messageId: entry.messageId,
    campaignId: entry.campaignId,
    reference: entry.reference,
    at: new Date(entry.createdAt).toISOString(),
  };
}

/** Credits (balance, ledger, top-ups) and the cost report. */
export function registerCreditRoutes(app: FastifyInstance, context: ServerContext): void {
  const { store, charges, now } = context;
  const ledger = store.ledger;

  /** The caller's own account, or any with `monitor`. */
  const accountFor = (
    requested: string,
    principal: { keyId: string; scopes: ReadonlySet<string> } | undefined,
  ) => {
    const own = principal ? charges.accountOf(principal.keyId) : undefined;
    if (requested === own || principal?.scopes.has('monitor')) return requested;
    throw new HttpError(404, 'not_found', `no credit account ${requested}`);
  };

  app.get('/v1/credits', { onRequest: context.apiKeys.require('read') }, async (request) => {
    const account = charges.accountOf(request.principal?.keyId as string);
    if (account === undefined)
      throw new HttpError(404, 'credits_disabled', 'credits are not enabled (credits.enabled)');
    return balanceView(await ledger.balance(account), charges.currency);
  });

  app.get<{ Params: { account: string } }>(
    '/v1/credits/:account',
    { onRequest: context.apiKeys.require('read') },
    async (request) => {
      const account = accountFor(request.params.account, request.principal);
      return balanceView(await ledger.balance(account), charges.currency);
    },
  );

  app.get<{ Params: { account: string }; Querystring: { before?: string; limit?: string } }>(
    '/v1/credits/:account/ledger',
    { onRequest: context.apiKeys.require('read') },
    async (request) => {
      const account = accountFor(request.params.account, request.principal);
      const limit = Number(request.query.limit ?? 100);
      const before = request.query.before === undefined ? undefined : Number(request.query.before);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw invalidRequest([{ path: 'limit', message: 'must be an integer from 1 to 1000' }]);
      }
      if (before !== undefined && (!Number.isInteger(before) || before < 1)) {
        throw invalidRequest([{ path: 'before', message: 'must be an entry id' }]);
      }
      const entries = await ledger.entries(account, { limit, before });
      return { account, currency: charges.currency, entries: entries.map(entryView) };
    },
  );

  app.post<{ Params: { account: string }; Body: { amount?: unknown; reference?: unknown } }>(
    '/v1/credits/:account/top-ups',
    { onRequest: context.apiKeys.require('admin') },
    async (request, reply) => {
      const { account } = request.params;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const issues = [];
      if (!ACCOUNT.test(account))
        issues.push({ path: 'account', message: 'letters, digits, ., - and _ only' });
      for (const key of Object.keys(body)) {
        if (key !== 'amount' && key !== 'reference') issues.push({ path: key, message: 'is not a field' });
      }
      const micros = typeof body.amount === 'string' ? parseMicros(body.amount) : undefined;
      if (micros === undefined || micros === 0) {
        issues.push({
          path: 'amount',
          message:
            'must be a positive decimal string with up to 6 places ("25.00"); credits are never taken back by a top-up',
        });
      }
      if (
        body.reference !== undefined &&
        (typeof body.reference !== 'string' || body.reference.length > 200)
      ) {
        issues.push({ path: 'reference', message: 'must be a string of up to 200 characters' });
      }
      if (issues.length > 0) throw invalidRequest(issues);
      const entry = await ledger.topUp(
        account,
        micros as number,
        body.reference as string | undefined,
        now(),
      );
      return reply.code(201).send({
        entry: entryView(entry),
        ...balanceView(await ledger.balance(account), charges.currency),
      });
    },
  );

  app.get<{ Querystring: { from?: string; to?: string; groupBy?: string } }>(
    '/v1/reports/costs',
    { onRequest: context.apiKeys.require('read') },
    async (request) => {
      const { query } = request;
      const issues = [];
      const until = query.to === undefined ? now() + 1 : Date.parse(query.to);
      const since = query.from === undefined ? until - 30 * 86_400_000 : Date.parse(query.from);
      if (!Number.isFinite(since)) issues.push({ path: 'from', message: 'must be an ISO 8601 date' });
      if (!Number.isFinite(until)) issues.push({ path: 'to', message: 'must be an ISO 8601 date' });
      const groupBy = (query.groupBy ?? 'provider').split(',').filter(Boolean) as Group[];
      for (const group of groupBy) {
        if (!GROUPS.includes(group)) {
          issues.push({
            path: 'groupBy',
            message: `unknown grouping "${group}" (provider, side, campaign, day)`,
          });
        }
      }
      if (issues.length > 0) throw invalidRequest(issues);
      const principal = request.principal;
      const rows = await ledger.costs({
        since,
        until,
        groupBy,
        apiKeyId: principal?.scopes.has('monitor') ? undefined : principal?.keyId,
      });
      return {
        currency: charges.currency,
        from: new Date(since).toISOString(),
        to: new Date(until).toISOString(),
        groupBy,
        rows: rows.map((row) => {
          const view: Record<string, unknown> = {};
          for (const group of groupBy) view[group] = row[group];
          return { ...view, messages: row.messages, cost: formatMicros(row.costMicros) };
        }),
        total: formatMicros(rows.reduce((sum, row) => sum + row.costMicros, 0)),
      };
    },
  );
}
