/**
 * The gateway's API as the dashboard reads it (apps/gateway/src/http/*.ts and
 * migrations/migration-view.ts). Only the fields the pages use are listed.
 */

export type Role = 'admin' | 'monitor';

export interface SessionInfo {
  keyId: string;
  role: Role;
  scopes: string[];
  csrfToken: string;
  csrfHeader: string;
  expiresAt: string;
}

export type BreakerState = 'closed' | 'half-open' | 'open';

export interface ProviderActivity {
  sendsPerMinute: number;
  errorsPerMinute: number;
  meanLatencyMs: number | undefined;
}

export interface ProviderView {
  id: string;
  channel: string;
  breaker: BreakerState;
  halted: boolean;
  inFlight: number;
  health: { successRate?: number; meanLatencyMs?: number; samples: number };
  score?: number;
  scores: Record<string, number>;
  activity: ProviderActivity;
}

export type MigrationMode = 'off' | 'shadow' | 'gradual' | 'complete' | 'rolled-back';
export type Verdict = 'pass' | 'fail' | 'inconclusive';
export type PlanPhase =
  | 'pending'
  | 'progressing'
  | 'paused'
  | 'awaiting-approval'
  | 'inconclusive'
  | 'promoted'
  | 'aborted';

export interface CheckResult {
  name: string;
  verdict: Verdict;
  value?: number;
  threshold?: number;
  reason: string;
}

export interface ChecksView {
  id: number;
  at: string;
  step: number;
  verdict: Verdict;
  checks: CheckResult[];
}

export interface PlanView {
  origin: 'config' | 'api';
  phase: PlanPhase;
  step: number;
  steps: Array<{ percentage?: number; hold?: string; await?: 'approval' }>;
  stepStartedAt: string;
  timeInStepMs: number;
  reason?: string;
  lastAnalysisAt?: string;
  lastVerdict?: Verdict;
  consecutiveFailures: number;
  failureLimit: number;
  nextActionAt?: string;
  checks: string[];
}

export interface MigrationView {
  id: string;
  route: string;
  from: string[];
  to: string[];
  mode: MigrationMode;
  percentage: number;
  source: 'config' | 'runtime';
  updatedAt?: string;
  updatedBy?: string;
  reason?: string;
  resumeTo?: { mode: MigrationMode; percentage: number };
  crossSideFailover: string;
  plan: PlanView | null;
  lastChecks: ChecksView | null;
}

export type SideMetrics = Record<string, { value: number | undefined; sample: number }>;

export interface MigrationDetail extends MigrationView {
  metrics: { window: { since: string; until: string }; from: SideMetrics; to: SideMetrics };
}

export interface SeriesPoint {
  at: string;
  sends: number;
  sendErrors: number;
  settled: number;
  delivered: number;
  p95DeliveryMs?: number;
  costTotal: number;
  costDelivered: number;
}

export interface SeriesView {
  bucketMs: number;
  since: string;
  until: string;
  from: SeriesPoint[];
  to: SeriesPoint[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject?: string;
  reason?: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  next?: number;
}

export interface MessageSummary {
  id: string;
  channel: string;
  to: string | string[];
  status: string;
  dispatch: string;
  provider?: string;
  routingReason?: string;
  createdAt: string;
  updatedAt: string;
}

export interface MessagePage {
  messages: MessageSummary[];
  next?: string;
}

export interface AttemptView {
  number: number;
  provider: string;
  outcome: string;
  startedAt: string;
  finishedAt?: string;
  latencyMs?: number;
  providerMessageId?: string;
  error?: { kind: string; code?: string; message?: string };
  possibleDuplicate: boolean;
  reason?: string;
}

export interface EventView {
  status: string;
  providerStatus: string;
  provider: string;
  occurredAt: string;
  receivedAt: string;
}

export interface MessageDetail extends MessageSummary {
  providerMessageId?: string;
  segments?: number;
  cost?: { amount: string; currency: string };
  error?: { kind: string; code?: string; message: string };
  possibleDuplicate: boolean;
  retryRounds?: number;
  nextAttemptAt?: string;
  receiptDueAt?: string;
  attempts: AttemptView[];
  events: EventView[];
}
