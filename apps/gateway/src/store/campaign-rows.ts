import type {
  AccountBalance,
  CampaignAggregates,
  CampaignProgress,
  CampaignRecipient,
  CampaignRecord,
  CampaignResult,
  CampaignState,
  CostRow,
  LedgerEntry,
  LedgerStore,
} from './campaign-store.js';

/**
 * Row mappers and queries the SQLite and PostgreSQL campaign and ledger adapters share: both keep
 * the same tables (money and times as integers, JSON as text).
 */
type Row = Record<string, unknown>;

export const CANCELLED_ERROR_CODE = 'MSG_CAMPAIGN_CANCELLED';
export const CANCELLED_ERROR_MESSAGE = 'the campaign was cancelled before this message was sent';

/** Where a campaign message stands, as its counters are keyed. */
export interface CountKey {
  status: string;
  providerId?: string | null | undefined;
  errorKind?: string | null | undefined;
}

/** `2026-12` of a time (UTC): the month spend limits count. */
export function monthOf(time: number): string {
  return new Date(time).toISOString().slice(0, 7);
}

/** `2026-12-02` of a time (UTC): the day the cost report groups by. */
export function dayOf(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

export function toCampaign(row: Row): CampaignRecord {
  return {
    id: row.id as string,
    apiKeyId: row.api_key_id as string,
    account: (row.account as string | null) ?? undefined,
    state: row.state as CampaignState,
    definition: JSON.parse(row.definition as string),
    report: row.report ? JSON.parse(row.report as string) : undefined,
    // SQLite keeps it as 0/1, PostgreSQL as a boolean.
    bulk: row.bulk === null || row.bulk === undefined ? undefined : row.bulk === 1 || row.bulk === true,
    reservedMicros: row.reserved as number,
    materializedMicros: row.materialized as number,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    startedAt: (row.started_at as number | null) ?? undefined,
    finishedAt: (row.finished_at as number | null) ?? undefined,
  };
}

export function toRecipient(row: Row): CampaignRecipient {
  return {
    sequence: row.sequence as number,
    recipient: row.recipient as string,
    variables: row.variables ? JSON.parse(row.variables as string) : {},
  };
}

/** A recipient's variables as stored: none is NULL. */
export function variablesColumn(recipient: CampaignRecipient): string | null {
  return Object.keys(recipient.variables).length > 0 ? JSON.stringify(recipient.variables) : null;
}

export function toResult(row: Row): CampaignResult {
  return {
    sequence: row.sequence as number,
    recipient: row.recipient as string,
    state: row.state as CampaignResult['state'],
    messageId: (row.message_id as string | null) ?? undefined,
    status: (row.status as string | null) ?? undefined,
    providerId: (row.provider_id as string | null) ?? undefined,
    providerMessageId: (row.provider_message_id as string | null) ?? undefined,
    bulkId: (row.bulk_id as string | null) ?? undefined,
    costMicros: (row.charged as number | null) ?? undefined,
    errorKind: (row.error_kind as string | null) ?? undefined,
    errorCode: (row.error_code as string | null) ?? undefined,
    errorMessage: (row.error_message as string | null) ?? undefined,
  };
}

/** Progress from the campaign's row and its counter rows (`status`, `messages`, `cost`). */
export function progressOf(campaign: Row | undefined, counts: readonly Row[]): CampaignProgress {
  const byStatus: Record<string, number> = {};
  let messages = 0;
  let costMicros = 0;
  for (const row of counts) {
    const status = row.status as string;
    byStatus[status] = (byStatus[status] ?? 0) + (row.messages as number);
    messages += row.messages as number;
    costMicros += row.cost as number;
  }
  const recipients = campaign?.report
    ? (JSON.parse(campaign.report as string) as { recipients: number }).recipients
    : 0;
  const cancelled = (campaign?.cancelled as number | undefined) ?? 0;
  for (const [status, count] of Object.entries(byStatus)) if (count === 0) delete byStatus[status];
  return {
    pending: Math.max(0, recipients - messages - cancelled),
    cancelled,
    messages,
    byStatus,
    costMicros,
  };
}

export function aggregatesOf(counts: readonly Row[]): CampaignAggregates {
  const aggregates: CampaignAggregates = { byStatus: {}, byProvider: {}, byErrorKind: {} };
  const add = (into: Record<string, number>, key: string, count: number) => {
    into[key] = (into[key] ?? 0) + count;
  };
  for (const row of counts) {
    const count = row.messages as number;
    if (count === 0) continue;
    add(aggregates.byStatus, row.status as string, count);
    add(aggregates.byProvider, (row.provider_id as string) || 'none', count);
    if (row.error_kind) add(aggregates.byErrorKind, row.error_kind as string, count);
  }
  return aggregates;
}

/** What a settled send leaves in the ledger and the cost report. */
export interface Settlement {
  messageId: string;
  account: string | undefined;
  heldMicros: number;
  /** Debited: the provider accepted the message (undefined: it did not). */
  debitMicros: number | undefined;
  providerId: string | undefined;
  migrationSide: string | undefined;
  campaignId: string | undefined;
  apiKeyId: string;
}

/** An account's cached sums; an account never topped up has none. */
export function toBalance(account: string, row: Row | undefined): AccountBalance {
  return {
    account,
    balanceMicros: (row?.balance as number | undefined) ?? 0,
    heldMicros: (row?.held as number | undefined) ?? 0,
    debitedMicros: (row?.debited as number | undefined) ?? 0,
  };
}

/** A settled send's `message_costs` row, in column order: message, provider, side, campaign, key, day, at, amount. */
export function costValues(settlement: Settlement, debitMicros: number, now: number): unknown[] {
  return [
    settlement.messageId,
    settlement.providerId,
    settlement.migrationSide ?? null,
    settlement.campaignId ?? null,
    settlement.apiKeyId,
    dayOf(now),
    now,
    debitMicros,
  ];
}

export function toEntry(row: Row): LedgerEntry {
  return {
    id: row.id as number,
    account: row.account as string,
    kind: row.kind as LedgerEntry['kind'],
    amountMicros: row.amount as number,
    messageId: (row.message_id as string | null) ?? undefined,
    campaignId: (row.campaign_id as string | null) ?? undefined,
    reference: (row.reference as string | null) ?? undefined,
    createdAt: row.created_at as number,
  };
}

/**
 * The cost report's query over `message_costs`, with `placeholder(n)` for the n-th parameter
 * (`?` on SQLite, `$n` on PostgreSQL). Only fixed column names are put into the SQL.
 */
export function costsQuery(
  options: Parameters<LedgerStore['costs']>[0],
  placeholder: (index: number) => string,
): { sql: string; parameters: unknown[] } {
  const columns = { provider: 'provider_id', side: 'migration_side', campaign: 'campaign_id', day: 'day' };
  const keys = options.groupBy.map((key) => columns[key]);
  const select = (['provider', 'side', 'campaign', 'day'] as const)
    .map((key) => (options.groupBy.includes(key) ? `${columns[key]} AS ${key}` : `NULL AS ${key}`))
    .join(', ');
  const sql = `SELECT ${select}, COUNT(*) AS messages, SUM(amount) AS cost FROM message_costs
    WHERE at >= ${placeholder(1)} AND at < ${placeholder(2)}${options.apiKeyId ? ` AND api_key_id = ${placeholder(3)}` : ''}
    ${keys.length > 0 ? `GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')}` : ''}`;
  const parameters: unknown[] = [options.since, options.until];
  if (options.apiKeyId) parameters.push(options.apiKeyId);
  return { sql, parameters };
}

export function toCostRow(row: Row): CostRow {
  return {
    provider: (row.provider as string | null) ?? null,
    side: (row.side as string | null) ?? null,
    campaign: (row.campaign as string | null) ?? null,
    day: (row.day as string | null) ?? null,
    messages: row.messages as number,
    costMicros: (row.cost as number | null) ?? 0,
  };
}
