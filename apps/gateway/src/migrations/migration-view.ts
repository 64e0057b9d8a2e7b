import {
  formatDuration,
  MIGRATION_METRICS,
  type MigrationSide,
  metricOf,
  nextWakeAt,
  type Router,
  type SideSample,
} from '@msg/core';
import type { CheckRecord } from '../store/operations-store.js';
import type { MigrationControl } from './migration-control.js';

const iso = (time: number | undefined) => (time === undefined ? undefined : new Date(time).toISOString());

/** Every metric of one side, with the sample it rests on. */
export function sideMetrics(
  sample: SideSample,
): Record<string, { value: number | undefined; sample: number }> {
  return Object.fromEntries(
    MIGRATION_METRICS.map((metric) => {
      const { value, sample: size } = metricOf(sample, metric);
      return [metric, { value, sample: size }];
    }),
  );
}

export function checksView(record: CheckRecord | undefined) {
  if (!record) return null;
  return {
    id: record.id,
    at: iso(record.at),
    step: record.step + 1,
    verdict: record.verdict,
    checks: record.checks,
  };
}

/** A migration as `GET /v1/migrations` shows it: mode, percentage and their source, plan and its step. */
export function migrationView(
  control: MigrationControl,
  router: Router,
  id: string,
  now: number,
  lastChecks?: CheckRecord,
) {
  const info = control.info(id);
  const effective = control.effective(id);
  const status = router.status().migrations.find((migration) => migration.id === id);
  const entry = control.plan(id);
  let plan = null;
  if (entry) {
    const { state } = entry.record;
    const steps = entry.compiled.steps.map((step) =>
      step.approval
        ? { await: 'approval' }
        : { percentage: step.percentage, hold: step.holdMs > 0 ? formatDuration(step.holdMs) : undefined },
    );
    const wake = nextWakeAt(entry.compiled, state);
    plan = {
      origin: entry.record.origin,
      phase: state.phase,
      step: state.step + 1,
      steps,
      stepStartedAt: iso(state.stepStartedAt),
      timeInStepMs: now - state.stepStartedAt,
      reason: state.reason,
      lastAnalysisAt: iso(state.lastAnalysisAt),
      lastVerdict: state.lastVerdict,
      consecutiveFailures: state.consecutiveFailures,
      failureLimit: entry.compiled.analysis.failureLimit,
      nextActionAt: iso(wake),
      checks: entry.compiled.analysis.checks.map((check) => check.expression),
    };
  }
  return {
    id,
    route: info.route,
    from: info.from,
    to: info.to,
    mode: effective.mode,
    percentage: effective.percentage,
    source: effective.source,
    updatedAt: iso(effective.updatedAt),
    updatedBy: effective.updatedBy,
    reason: effective.reason,
    resumeTo: effective.resume,
    crossSideFailover: status?.crossSideFailover ?? 'gradual',
    plan,
    lastChecks: checksView(lastChecks),
  };
}

export type SideMetricsView = Record<MigrationSide, ReturnType<typeof sideMetrics>>;
