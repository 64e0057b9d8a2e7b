import type { DeliveryStatus } from '@msg/core';
import { isFinalStatus } from '@msg/core';
import type {
  AttemptRecord,
  DispatchState,
  EventRecord,
  OutboxCallback,
  ReceiptTarget,
  StoredMessage,
} from './message-store.js';
import type {
  AuditEntry,
  CheckRecord,
  ControlRecord,
  PlanRecord,
  SeriesPoint,
  SeriesQuery,
} from './operations-store.js';

/** A row as a SQL driver returns it; the SQLite and PostgreSQL adapters share the mappers below. */
export type Row = Record<string, unknown>;

export const optional = <T>(value: unknown): T | undefined => (value ?? undefined) as T | undefined;

/** A status after which no receipt is awaited: final, or the deadline's `unknown`. */
export const settled = (status: DeliveryStatus) => isFinalStatus(status) || status === 'unknown';

/** A JSON column: `null` for an absent value. */
export const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
export const parsed = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : undefined);

/** The nearest-rank percentile offset (0-based) among `count` ordered values. */
export const rank = (count: number, percentile: number) => Math.max(0, Math.ceil(percentile * count) - 1);

// Binary payloads (attachments) survive JSON as base64.
export function serialize(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    item instanceof Uint8Array ? { $bytes: Buffer.from(item).toString('base64') } : item,
  );
}
export function revive(_key: string, item: unknown): unknown {
  if (item && typeof item === 'object' && '$bytes' in item) {
    return new Uint8Array(Buffer.from((item as { $bytes: string }).$bytes, 'base64'));
  }
  return item;
}

export function toMessage(row: Row): StoredMessage {
  const message = JSON.parse(row.payload as string);
  return {
    id: row.id as string,
    channel: row.channel as StoredMessage['channel'],
    message,
    status: row.status as DeliveryStatus,
    dispatchState: row.dispatch_state as DispatchState,
    apiKeyId: row.api_key_id as string,
    idempotencyKey: (row.idempotency_key as string | null) ?? undefined,
    callbackUrl: (row.callback_url as string | null) ?? undefined,
    ingress: row.ingress ? JSON.parse(row.ingress as string) : undefined,
    overrideProvider: (row.override_provider as string | null) ?? undefined,
    overrideRoute: (row.override_route as string | null) ?? undefined,
    providerId: (row.provider_id as string | null) ?? undefined,
    providerMessageId: (row.provider_message_id as string | null) ?? undefined,
    routingReason: (row.routing_reason as string | null) ?? undefined,
    segments: (row.segments as number | null) ?? undefined,
    cost: row.cost_amount
      ? { amount: row.cost_amount as string, currency: row.cost_currency as string }
      : undefined,
    error: row.error_message
      ? {
          kind: row.error_kind as NonNullable<StoredMessage['error']>['kind'],
          code: (row.error_code as string | null) ?? undefined,
          message: row.error_message as string,
        }
      : undefined,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    sentAt: optional(row.sent_at),
    migrationSide: optional(row.migration_side),
    receiptDueAt: optional(row.receipt_due_at),
    reconcileAt: optional(row.reconcile_at),
    reconcileAttempts: optional(row.reconcile_attempts),
    retryRound: optional(row.retry_round),
    retryReason: optional(row.retry_reason),
    nextAttemptAt: optional(row.next_attempt_at),
    campaignId: optional(row.campaign_id),
    charge:
      row.charge_account != null
        ? { account: row.charge_account as string, heldMicros: Number(row.charge_held ?? 0) }
        : undefined,
    chargedMicros: row.charged == null ? undefined : Number(row.charged),
    bulkId: optional(row.bulk_id),
  };
}

/** A message with its payload's binary parts (attachments) restored. */
export function toRevivedMessage(row: Row): StoredMessage {
  const stored = toMessage(row);
  stored.message = JSON.parse(row.payload as string, revive);
  return stored;
}

export function toReceiptTarget(row: Row): ReceiptTarget {
  return {
    id: row.id as string,
    callbackUrl: optional(row.callback_url),
    createdAt: row.created_at as number,
    migrationSide: optional(row.migration_side),
  };
}

export function toAttempt(row: Row): AttemptRecord {
  return {
    messageId: row.message_id as string,
    sequence: row.sequence as number,
    providerId: row.provider_id as string,
    startedAt: row.started_at as number,
    finishedAt: (row.finished_at as number | null) ?? undefined,
    latencyMs: (row.latency_ms as number | null) ?? undefined,
    outcome: row.outcome as AttemptRecord['outcome'],
    errorKind: (row.error_kind as string | null) ?? undefined,
    errorCode: (row.error_code as string | null) ?? undefined,
    errorMessage: (row.error_message as string | null) ?? undefined,
    providerMessageId: (row.provider_message_id as string | null) ?? undefined,
    // SQLite has 0/1, PostgreSQL a boolean.
    possibleDuplicate: row.possible_duplicate === 1 || row.possible_duplicate === true,
    reason: (row.reason as string | null) ?? undefined,
  };
}

export function toEvent(row: Row): EventRecord {
  return {
    messageId: row.message_id as string,
    providerId: row.provider_id as string,
    providerMessageId: row.provider_message_id as string,
    status: row.status as DeliveryStatus,
    providerStatus: row.provider_status as string,
    occurredAt: row.occurred_at as number,
    receivedAt: row.received_at as number,
    eventKey: row.event_key as string,
    detail: row.detail ? JSON.parse(row.detail as string) : undefined,
  };
}

export function toCallback(row: Row): OutboxCallback {
  return {
    id: row.id as number,
    messageId: row.message_id as string,
    sequence: row.sequence as number,
    url: row.url as string,
    body: row.body as string,
    format: row.format ? JSON.parse(row.format as string) : undefined,
    attempts: row.attempts as number,
    nextAttemptAt: row.next_attempt_at as number,
  };
}

export function toAlert(row: Row): OutboxCallback {
  return {
    id: row.id as number,
    messageId: '',
    sequence: row.id as number,
    url: row.url as string,
    body: row.body as string,
    attempts: row.attempts as number,
    nextAttemptAt: row.next_attempt_at as number,
  };
}

export function toAudit(row: Row): AuditEntry {
  const detail = parsed(row.detail);
  return {
    id: row.id as number,
    at: row.at as number,
    actor: row.actor as string,
    action: row.action as string,
    subject: (row.subject as string | null) ?? undefined,
    reason: (row.reason as string | null) ?? undefined,
    before: parsed(row.before),
    after: parsed(row.after),
    detail: detail && Object.keys(detail).length > 0 ? detail : undefined,
  };
}

export function toControl(row: Row): ControlRecord {
  return {
    subject: row.subject as string,
    state: JSON.parse(row.state as string),
    updatedAt: row.updated_at as number,
    updatedBy: row.updated_by as string,
    reason: (row.reason as string | null) ?? undefined,
  };
}

export function toPlan(row: Row): PlanRecord {
  return {
    migrationId: row.migration_id as string,
    plan: JSON.parse(row.plan as string),
    state: JSON.parse(row.state as string),
    origin: row.origin as PlanRecord['origin'],
    configHash: (row.config_hash as string | null) ?? undefined,
    updatedAt: row.updated_at as number,
  };
}

export function toCheck(row: Row): CheckRecord {
  return {
    id: row.id as number,
    migrationId: row.migration_id as string,
    at: row.at as number,
    step: row.step as number,
    verdict: row.verdict as CheckRecord['verdict'],
    checks: JSON.parse(row.checks as string),
    samples: JSON.parse(row.samples as string),
  };
}

/** A series' points by bucket, each made empty on first use; `sorted` gives them in time order. */
export function seriesPoints(query: Pick<SeriesQuery, 'since' | 'bucketMs'>) {
  const points = new Map<number, SeriesPoint>();
  return {
    point(bucket: number): SeriesPoint {
      let found = points.get(bucket);
      if (!found) {
        found = {
          at: query.since + bucket * query.bucketMs,
          sends: 0,
          sendErrors: 0,
          settled: 0,
          delivered: 0,
          p95DeliveryMs: undefined,
          costTotal: 0,
          costDelivered: 0,
        };
        points.set(bucket, found);
      }
      return found;
    },
    sorted: () => [...points.values()].sort((left, right) => left.at - right.at),
  };
}
