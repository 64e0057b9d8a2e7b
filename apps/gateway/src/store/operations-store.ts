import type {
  CheckResult,
  CheckVerdict,
  MigrationPlanConfig,
  MigrationSide,
  PlanState,
  SideSample,
} from '@msg/core';
import type { OutboxCallback } from './message-store.js';

/**
 * What operators and the gateway's safeguards do, kept in the store: runtime control state
 * (migration mode and percentage, emergency stops, provider halts) that wins over the config until
 * reset, the audit log, migration plans and their check results, shadow validations, and the
 * alert outbox; plus the aggregates a migration's analysis reads. Every operator or safeguard
 * action is one `writeOperation`: the change, its audit entry and its alerts commit together.
 */

/** A runtime override of the config: `migration:<id>` or `provider:<id>`. */
export interface ControlRecord {
  subject: string;
  state: Record<string, unknown>;
  updatedAt: number;
  updatedBy: string;
  reason?: string | undefined;
}

export interface AuditInput {
  at: number;
  /** The API key id, or `plan` / `safeguard` for automatic actions. */
  actor: string;
  /** `migration.percentage`, `migration.emergency-stop`, `plan.step`, `provider.halt`… */
  action: string;
  /** `migration:<id>`, `provider:<id>`. */
  subject?: string | undefined;
  reason?: string | undefined;
  before?: unknown;
  after?: unknown;
  detail?: Record<string, unknown> | undefined;
}

export interface AuditEntry extends AuditInput {
  id: number;
}

export interface AuditQuery {
  subject?: string | undefined;
  actor?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  /** Entries older than this id (the next page of a newest-first listing). */
  before?: number | undefined;
  limit: number;
}

/** A migration's plan and where it stands; `origin` says whether the config or the API gave it. */
export interface PlanRecord {
  migrationId: string;
  plan: MigrationPlanConfig;
  state: PlanState;
  origin: 'config' | 'api';
  /** For a config plan: a hash of it, so that an edited config replaces the stored plan. */
  configHash?: string | undefined;
  updatedAt: number;
}

export interface CheckRecord {
  id: number;
  migrationId: string;
  at: number;
  /** The plan step (0-based) the analysis judged. */
  step: number;
  verdict: CheckVerdict;
  checks: CheckResult[];
  samples: Record<MigrationSide, SideSample>;
}

/** A signed JSON alert to one configured endpoint. */
export interface AlertInput {
  url: string;
  body: string;
}

/** Everything one operator or safeguard action changes, committed together. */
export interface OperationWrite {
  /** Runtime state to set, or to drop (`state: undefined`: back to the config). */
  controls?: ReadonlyArray<{
    subject: string;
    state: Record<string, unknown> | undefined;
    updatedBy: string;
    reason?: string | undefined;
  }>;
  plan?: PlanRecord | { migrationId: string; remove: true } | undefined;
  checks?: Omit<CheckRecord, 'id'> | undefined;
  audit?: readonly AuditInput[] | undefined;
  alerts?: readonly AlertInput[] | undefined;
}

/** What one side of a migration did in a window, for `sideSample`. */
export interface SideQuery {
  migrationId: string;
  /** The side's provider instance ids. */
  providers: readonly string[];
  /** Accepted (or attempted) at or after `since` and before `until`. */
  since: number;
  until: number;
  /** Messages accepted before this count as settled: their receipt window has closed. */
  settledBefore: number;
  slowAfterMs: number;
  now: number;
  /** Only these destinations (carrier or country), when the analysis compares like with like. */
  destinations?: readonly string[] | undefined;
}

export interface SeriesQuery {
  migrationId: string;
  providers: readonly string[];
  since: number;
  until: number;
  bucketMs: number;
  settledBefore: number;
}

/** One time bucket of one side, for charts. */
export interface SeriesPoint {
  /** Start of the bucket. */
  at: number;
  sends: number;
  sendErrors: number;
  settled: number;
  delivered: number;
  p95DeliveryMs: number | undefined;
  costTotal: number;
  costDelivered: number;
}

export interface ShadowValidationRecord {
  messageId: string;
  migrationId: string;
  providerId: string;
  at: number;
  accepted: boolean;
  latencyMs: number;
  errorKind?: string | undefined;
  errorCode?: string | undefined;
  reason?: string | undefined;
}

export interface OperationsStore {
  writeOperation(write: OperationWrite, now: number): Promise<void>;
  controls(): Promise<ControlRecord[]>;
  audit(query: AuditQuery): Promise<AuditEntry[]>;
  plans(): Promise<PlanRecord[]>;
  checkHistory(
    migrationId: string,
    options: { limit: number; before?: number | undefined },
  ): Promise<CheckRecord[]>;
  /** The destinations the side's providers served in the window. */
  destinations(query: Pick<SideQuery, 'migrationId' | 'providers' | 'since' | 'until'>): Promise<string[]>;
  sideSample(query: SideQuery): Promise<SideSample>;
  series(query: SeriesQuery): Promise<SeriesPoint[]>;
  recordShadowValidation(record: ShadowValidationRecord): Promise<void>;
  dueAlerts(now: number, limit: number): Promise<OutboxCallback[]>;
  alertDone(id: number): Promise<void>;
  alertRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void>;
}
