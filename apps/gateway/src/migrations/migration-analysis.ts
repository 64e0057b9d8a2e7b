import {
  type AnalysisResult,
  analyse,
  type CompiledAnalysis,
  type MigrationSide,
  type SideSample,
} from '@msg/core';
import type { MessageStore } from '../store/message-store.js';

export interface MigrationSides {
  id: string;
  from: readonly string[];
  to: readonly string[];
}

export interface SideWindow {
  since: number;
  /** Where the `from` side's window starts, when it reaches further back than the `to` side's. */
  fromSince?: number | undefined;
  until: number;
  receiptWindowMs: number;
  slowAfterMs: number;
  sameDestinations: boolean;
}

/**
 * What each side of a migration did over a window, from the store. With `sameDestinations`, the
 * `from` side is read only over the destinations (carrier, country, domain) the `to` side served,
 * so a new provider taking only easy destinations does not flatter itself.
 */
export async function sideSamples(
  store: MessageStore,
  migration: MigrationSides,
  window: SideWindow,
  now: number,
): Promise<Record<MigrationSide, SideSample>> {
  const base = {
    migrationId: migration.id,
    since: window.since,
    until: window.until,
    settledBefore: now - window.receiptWindowMs,
    slowAfterMs: window.slowAfterMs,
    now,
  };
  const to = await store.sideSample({ ...base, providers: migration.to });
  const destinations = window.sameDestinations
    ? await store.destinations({
        migrationId: migration.id,
        providers: migration.to,
        since: base.since,
        until: base.until,
      })
    : undefined;
  const from = await store.sideSample({
    ...base,
    since: window.fromSince ?? base.since,
    providers: migration.from,
    destinations,
  });
  return { from, to };
}

/**
 * The plan's analysis for its current step. The `to` side's window never reaches back before the
 * step began (its numbers must reflect the step's share); the `from` side is the baseline, read
 * over the whole window, so that a step at 100 % still has one to compare with.
 */
export async function analyseStep(
  store: MessageStore,
  migration: MigrationSides,
  analysis: CompiledAnalysis,
  stepStartedAt: number,
  now: number,
): Promise<{ result: AnalysisResult; samples: Record<MigrationSide, SideSample> }> {
  const samples = await sideSamples(
    store,
    migration,
    {
      since: Math.max(now - analysis.windowMs, stepStartedAt),
      fromSince: now - analysis.windowMs,
      until: now,
      receiptWindowMs: analysis.receiptWindowMs,
      slowAfterMs: analysis.slowAfterMs,
      sameDestinations: analysis.sameDestinations,
    },
    now,
  );
  return { result: analyse(samples, analysis.checks, { minSample: analysis.minSample }), samples };
}
