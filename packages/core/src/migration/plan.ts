import type { ValidationIssue } from '../errors.js';
import { type AnalysisResult, type CheckVerdict, type MigrationCheck, parseCheck } from './analysis.js';
import { formatDuration, parseDuration } from './duration.js';

/**
 * Migration plans: a rollout as steps (set a percentage and hold it, or wait for approval), judged
 * by an analysis of the two sides. Pure: `stepPlan` takes the plan, its state, one input and the
 * time, and returns the next state and the effects for the host to carry out (set the percentage,
 * roll back, alert). The host persists the state, runs the analysis queries and the timers.
 */

export interface PlanStepConfig {
  /** Share of traffic on `to` during this step. */
  percentage?: number;
  /** How long the step holds before it may advance (`30m`, `1h`, or ms). */
  hold?: string | number;
  /** `approval`: a manual gate; the plan waits until approved. */
  await?: 'approval';
}

export interface PlanAnalysisConfig {
  /** How often the checks run. Default `5m`. */
  interval?: string | number;
  /** The trailing window the metrics cover (never before the step began). Default `1h`. */
  window?: string | number;
  /** A message counts for delivery metrics once this long has passed since it was sent. Default `10m`. */
  receiptWindow?: string | number;
  /** Delivered after this, or still without a final status after it: slow (GOV.UK Notify: 4 minutes). Default `4m`. */
  slowAfter?: string | number;
  /** Fewest observations per side for a check to count; fewer make it inconclusive. Default 100. */
  minSample?: number;
  /** Consecutive failed analyses that abort the plan. Default 3. */
  failureLimit?: number;
  /** Consecutive inconclusive analyses, once the hold is over, that pause the plan for an operator. Default: none (it waits). */
  inconclusiveLimit?: number;
  /** Consecutive analyses that could not run (store errors) that pause the plan. Default 5. */
  errorLimit?: number;
  /** Compare `from` only over the destinations (carrier, else country) that `to` served in the window. Default true. */
  sameDestinations?: boolean;
  /** A `configuration` error from a `to` provider (bad key, unverified sender) aborts at once. Default true. */
  abortOnConfigurationError?: boolean;
  checks?: ReadonlyArray<string | { name?: string; check: string }>;
}

export interface MigrationPlanConfig {
  steps: readonly PlanStepConfig[];
  analysis?: PlanAnalysisConfig;
}

export interface CompiledPlanStep {
  percentage: number | undefined;
  holdMs: number;
  approval: boolean;
}

export interface CompiledAnalysis {
  intervalMs: number;
  windowMs: number;
  receiptWindowMs: number;
  slowAfterMs: number;
  minSample: number;
  failureLimit: number;
  inconclusiveLimit: number | undefined;
  errorLimit: number;
  sameDestinations: boolean;
  abortOnConfigurationError: boolean;
  checks: MigrationCheck[];
}

export interface CompiledPlan {
  steps: CompiledPlanStep[];
  analysis: CompiledAnalysis;
}

const DEFAULT_ANALYSIS = {
  intervalMs: 5 * 60_000,
  windowMs: 60 * 60_000,
  receiptWindowMs: 10 * 60_000,
  slowAfterMs: 4 * 60_000,
  minSample: 100,
  failureLimit: 3,
  errorLimit: 5,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  issues: ValidationIssue[],
) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      issues.push({
        path: `${path}.${key}`,
        message: `unknown key (expected one of: ${allowed.join(', ')})`,
      });
  }
}

function duration(
  value: unknown,
  path: string,
  fallback: number,
  issues: ValidationIssue[],
  positive = false,
): number {
  if (value === undefined) return fallback;
  const parsed = parseDuration(value);
  if (parsed === undefined || (positive && parsed <= 0)) {
    issues.push({
      path,
      message: `must be a duration like 30s, 10m, 1h or a number of ms${positive ? ' above 0' : ''}, got ${JSON.stringify(value)}`,
    });
    return fallback;
  }
  return parsed;
}

function integer(
  value: unknown,
  path: string,
  fallback: number | undefined,
  min: number,
  issues: ValidationIssue[],
) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    issues.push({ path, message: `must be an integer of at least ${min}, got ${JSON.stringify(value)}` });
    return fallback;
  }
  return value;
}

/**
 * Checks a plan and compiles it: durations to ms, checks parsed. Every problem goes into `issues`
 * with its path under `path`; undefined when there was one.
 */
export function compilePlan(
  input: unknown,
  path: string,
  issues: ValidationIssue[],
): CompiledPlan | undefined {
  const before = issues.length;
  if (!isRecord(input)) {
    issues.push({ path, message: 'must be an object with steps' });
    return undefined;
  }
  unknownKeys(input, ['steps', 'analysis'], path, issues);
  const steps: CompiledPlanStep[] = [];
  if (!Array.isArray(input.steps) || input.steps.length === 0) {
    issues.push({ path: `${path}.steps`, message: 'must be a non-empty array of steps' });
  } else {
    let previous: number | undefined;
    input.steps.forEach((step: unknown, index: number) => {
      const stepPath = `${path}.steps.${index}`;
      if (!isRecord(step)) {
        issues.push({ path: stepPath, message: 'must be { percentage, hold } or { await: approval }' });
        return;
      }
      unknownKeys(step, ['percentage', 'hold', 'await'], stepPath, issues);
      if (step.await !== undefined) {
        if (step.await !== 'approval')
          issues.push({
            path: `${stepPath}.await`,
            message: `must be "approval", got ${JSON.stringify(step.await)}`,
          });
        if (step.percentage !== undefined || step.hold !== undefined)
          issues.push({ path: stepPath, message: 'an approval gate takes no percentage or hold' });
        steps.push({ percentage: undefined, holdMs: 0, approval: true });
        return;
      }
      const percentage = step.percentage;
      if (
        typeof percentage !== 'number' ||
        !Number.isInteger(percentage) ||
        percentage < 1 ||
        percentage > 100
      ) {
        issues.push({
          path: `${stepPath}.percentage`,
          message: `must be an integer from 1 to 100, got ${JSON.stringify(percentage)}`,
        });
        return;
      }
      if (previous !== undefined && percentage <= previous) {
        issues.push({
          path: `${stepPath}.percentage`,
          message: `steps must increase: ${percentage} follows ${previous}`,
        });
      }
      previous = percentage;
      steps.push({ percentage, holdMs: duration(step.hold, `${stepPath}.hold`, 0, issues), approval: false });
    });
    if (steps.length > 0 && steps.every((step) => step.approval)) {
      issues.push({ path: `${path}.steps`, message: 'needs at least one step with a percentage' });
    }
  }
  const analysisInput = input.analysis ?? {};
  const analysisPath = `${path}.analysis`;
  const checks: MigrationCheck[] = [];
  let analysis: CompiledAnalysis = {
    ...DEFAULT_ANALYSIS,
    inconclusiveLimit: undefined,
    sameDestinations: true,
    abortOnConfigurationError: true,
    checks,
  };
  if (!isRecord(analysisInput)) {
    issues.push({ path: analysisPath, message: 'must be an object' });
  } else {
    unknownKeys(
      analysisInput,
      [
        'interval',
        'window',
        'receiptWindow',
        'slowAfter',
        'minSample',
        'failureLimit',
        'inconclusiveLimit',
        'errorLimit',
        'sameDestinations',
        'abortOnConfigurationError',
        'checks',
      ],
      analysisPath,
      issues,
    );
    for (const key of ['sameDestinations', 'abortOnConfigurationError'] as const) {
      if (analysisInput[key] !== undefined && typeof analysisInput[key] !== 'boolean')
        issues.push({ path: `${analysisPath}.${key}`, message: 'must be true or false' });
    }
    if (analysisInput.checks !== undefined && !Array.isArray(analysisInput.checks)) {
      issues.push({ path: `${analysisPath}.checks`, message: 'must be an array of checks' });
    }
    const names = new Set<string>();
    (Array.isArray(analysisInput.checks) ? analysisInput.checks : []).forEach(
      (entry: unknown, index: number) => {
        const checkPath = `${analysisPath}.checks.${index}`;
        const expression = typeof entry === 'string' ? entry : isRecord(entry) ? entry.check : undefined;
        const name = isRecord(entry) && typeof entry.name === 'string' ? entry.name : undefined;
        if (isRecord(entry)) unknownKeys(entry, ['name', 'check'], checkPath, issues);
        if (typeof expression !== 'string') {
          issues.push({
            path: checkPath,
            message: 'must be a check like "to.deliveredRate >= 0.95", or { name, check }',
          });
          return;
        }
        try {
          const check = parseCheck(expression, name);
          if (names.has(check.name))
            issues.push({ path: checkPath, message: `duplicate check "${check.name}"` });
          names.add(check.name);
          checks.push(check);
        } catch (error) {
          issues.push({ path: checkPath, message: (error as Error).message });
        }
      },
    );
    analysis = {
      intervalMs: duration(
        analysisInput.interval,
        `${analysisPath}.interval`,
        DEFAULT_ANALYSIS.intervalMs,
        issues,
        true,
      ),
      windowMs: duration(
        analysisInput.window,
        `${analysisPath}.window`,
        DEFAULT_ANALYSIS.windowMs,
        issues,
        true,
      ),
      receiptWindowMs: duration(
        analysisInput.receiptWindow,
        `${analysisPath}.receiptWindow`,
        DEFAULT_ANALYSIS.receiptWindowMs,
        issues,
      ),
      slowAfterMs: duration(
        analysisInput.slowAfter,
        `${analysisPath}.slowAfter`,
        DEFAULT_ANALYSIS.slowAfterMs,
        issues,
        true,
      ),
      minSample: integer(
        analysisInput.minSample,
        `${analysisPath}.minSample`,
        DEFAULT_ANALYSIS.minSample,
        1,
        issues,
      ) as number,
      failureLimit: integer(
        analysisInput.failureLimit,
        `${analysisPath}.failureLimit`,
        DEFAULT_ANALYSIS.failureLimit,
        1,
        issues,
      ) as number,
      inconclusiveLimit: integer(
        analysisInput.inconclusiveLimit,
        `${analysisPath}.inconclusiveLimit`,
        undefined,
        1,
        issues,
      ),
      errorLimit: integer(
        analysisInput.errorLimit,
        `${analysisPath}.errorLimit`,
        DEFAULT_ANALYSIS.errorLimit,
        1,
        issues,
      ) as number,
      sameDestinations: analysisInput.sameDestinations !== false,
      abortOnConfigurationError: analysisInput.abortOnConfigurationError !== false,
      checks,
    };
  }
  return issues.length > before ? undefined : { steps, analysis };
}

export type PlanPhase =
  | 'pending'
  | 'progressing'
  | 'paused'
  | 'awaiting-approval'
  | 'inconclusive'
  | 'promoted'
  | 'aborted';

export const PLAN_PHASES: readonly PlanPhase[] = [
  'pending',
  'progressing',
  'paused',
  'awaiting-approval',
  'inconclusive',
  'promoted',
  'aborted',
];

export interface PlanState {
  phase: PlanPhase;
  /** Index of the current step. */
  step: number;
  stepStartedAt: number;
  consecutiveFailures: number;
  consecutiveInconclusive: number;
  consecutiveErrors: number;
  lastAnalysisAt: number | undefined;
  /** The verdict of the last analysis in this step. */
  lastVerdict: CheckVerdict | undefined;
  /** Why the plan is in its phase: who paused it, which checks failed. */
  reason: string | undefined;
}

export type PlanInput =
  | { type: 'start' }
  | { type: 'tick' }
  | { type: 'analysis'; result: AnalysisResult }
  | { type: 'analysis-error'; error: string }
  | { type: 'approve'; reason?: string | undefined }
  | { type: 'pause'; reason: string }
  | { type: 'resume'; reason: string }
  | { type: 'promote'; reason: string }
  | { type: 'abort'; reason: string }
  | { type: 'configuration-error'; provider: string; detail: string };

export type PlanAlert =
  | 'plan-step'
  | 'plan-awaiting-approval'
  | 'plan-inconclusive'
  | 'plan-paused'
  | 'plan-promoted'
  | 'plan-aborted';

export type PlanEffect =
  | { type: 'set-percentage'; percentage: number }
  /** Every message to `to` (the plan ended at 100 %). */
  | { type: 'complete' }
  /** The emergency stop: every message to `from`. */
  | { type: 'roll-back' }
  | { type: 'alert'; alert: PlanAlert };

export interface PlanTransition {
  state: PlanState;
  effects: PlanEffect[];
  /** What happened, for the audit log; undefined when nothing changed. */
  reason: string | undefined;
}

/** A refused operator action: the API answers 409 with the message. */
export class PlanActionError extends Error {
  override readonly name = 'PlanActionError';
}

export function initialPlanState(now: number): PlanState {
  return {
    phase: 'pending',
    step: 0,
    stepStartedAt: now,
    consecutiveFailures: 0,
    consecutiveInconclusive: 0,
    consecutiveErrors: 0,
    lastAnalysisAt: undefined,
    lastVerdict: undefined,
    reason: undefined,
  };
}

export function isPlanFinished(state: PlanState): boolean {
  return state.phase === 'promoted' || state.phase === 'aborted';
}

/** Whether the host should run the analysis now. */
export function isAnalysisDue(plan: CompiledPlan, state: PlanState, now: number): boolean {
  if (plan.analysis.checks.length === 0) return false;
  if (state.phase !== 'progressing' && state.phase !== 'inconclusive') return false;
  const since = state.lastAnalysisAt ?? state.stepStartedAt;
  return now - since >= plan.analysis.intervalMs;
}

/** When the host should next wake the plan (a tick or an analysis), or undefined when it waits for an operator. */
export function nextWakeAt(plan: CompiledPlan, state: PlanState): number | undefined {
  if (state.phase !== 'progressing' && state.phase !== 'inconclusive') return undefined;
  const step = plan.steps[state.step];
  const holdEnds = state.stepStartedAt + (step?.holdMs ?? 0);
  if (plan.analysis.checks.length === 0) return holdEnds;
  const analysisAt = (state.lastAnalysisAt ?? state.stepStartedAt) + plan.analysis.intervalMs;
  // A step already judged passing advances when its hold ends; otherwise the next analysis decides.
  return state.lastVerdict === 'pass' ? Math.min(analysisAt, holdEnds) : analysisAt;
}

function failedChecks(result: AnalysisResult): string {
  return result.checks
    .filter((check) => check.verdict === 'fail')
    .map((check) => check.reason)
    .join('; ');
}

/** Moves a plan on by one input. Operator actions that do not apply throw a `PlanActionError`. */
export function stepPlan(
  plan: CompiledPlan,
  state: PlanState,
  input: PlanInput,
  now: number,
): PlanTransition {
  const effects: PlanEffect[] = [];
  const finished = isPlanFinished(state);
  const enter = (index: number, base: PlanState, why: string): PlanTransition => {
    const next: PlanState = {
      ...base,
      step: index,
      stepStartedAt: now,
      consecutiveFailures: 0,
      consecutiveInconclusive: 0,
      consecutiveErrors: 0,
      lastAnalysisAt: undefined,
      lastVerdict: undefined,
      reason: undefined,
    };
    if (index >= plan.steps.length) {
      const last = [...plan.steps].reverse().find((step) => step.percentage !== undefined)?.percentage;
      effects.push(last === 100 ? { type: 'complete' } : { type: 'set-percentage', percentage: last ?? 0 });
      effects.push({ type: 'alert', alert: 'plan-promoted' });
      return {
        state: { ...next, step: plan.steps.length - 1, phase: 'promoted' },
        effects,
        reason: `${why}; plan promoted`,
      };
    }
    const step = plan.steps[index] as CompiledPlanStep;
    if (step.approval) {
      effects.push({ type: 'alert', alert: 'plan-awaiting-approval' });
      return {
        state: { ...next, phase: 'awaiting-approval' },
        effects,
        reason: `${why}; step ${index + 1} awaits approval`,
      };
    }
    effects.push({ type: 'set-percentage', percentage: step.percentage as number });
    effects.push({ type: 'alert', alert: 'plan-step' });
    const hold = step.holdMs > 0 ? `, hold ${formatDuration(step.holdMs)}` : '';
    return {
      state: { ...next, phase: 'progressing' },
      effects,
      reason: `${why}; step ${index + 1} of ${plan.steps.length}: ${step.percentage}%${hold}`,
    };
  };
  const abort = (reason: string): PlanTransition => {
    effects.push({ type: 'roll-back' }, { type: 'alert', alert: 'plan-aborted' });
    return { state: { ...state, phase: 'aborted', reason }, effects, reason: `plan aborted: ${reason}` };
  };
  const refuse = (action: string) => {
    throw new PlanActionError(`cannot ${action}: the plan is ${state.phase}`);
  };
  const unchanged: PlanTransition = { state, effects, reason: undefined };

  switch (input.type) {
    case 'start':
      if (state.phase !== 'pending') refuse('start');
      return enter(0, state, 'plan started');
    case 'approve':
      if (state.phase !== 'awaiting-approval') refuse('approve');
      return enter(
        state.step + 1,
        state,
        `step ${state.step + 1} approved${input.reason ? ` (${input.reason})` : ''}`,
      );
    case 'pause':
      if (finished || state.phase === 'pending' || state.phase === 'paused') refuse('pause');
      effects.push({ type: 'alert', alert: 'plan-paused' });
      return {
        state: { ...state, phase: 'paused', reason: input.reason },
        effects,
        reason: `plan paused: ${input.reason}`,
      };
    case 'resume':
      if (state.phase === 'paused') {
        const approval = plan.steps[state.step]?.approval === true;
        return {
          state: {
            ...state,
            phase: approval ? 'awaiting-approval' : 'progressing',
            reason: undefined,
            consecutiveErrors: 0,
            consecutiveInconclusive: 0,
          },
          effects,
          reason: `plan resumed: ${input.reason}`,
        };
      }
      // Inconclusive means too little data to judge: resuming is the operator's judgement instead.
      if (state.phase === 'inconclusive')
        return enter(
          state.step + 1,
          state,
          `inconclusive step ${state.step + 1} passed by hand: ${input.reason}`,
        );
      return refuse('resume');
    case 'promote':
      if (finished || state.phase === 'pending') refuse('promote');
      effects.push({ type: 'complete' }, { type: 'alert', alert: 'plan-promoted' });
      return {
        state: { ...state, phase: 'promoted', reason: input.reason },
        effects,
        reason: `plan promoted by hand: ${input.reason}`,
      };
    case 'abort':
      if (finished) refuse('abort');
      return abort(input.reason);
    case 'configuration-error':
      if (finished || state.phase === 'pending' || !plan.analysis.abortOnConfigurationError) return unchanged;
      return abort(`${input.provider} answered with a configuration error: ${input.detail}`);
    case 'analysis-error': {
      if (state.phase !== 'progressing' && state.phase !== 'inconclusive') return unchanged;
      const errors = state.consecutiveErrors + 1;
      const next = { ...state, consecutiveErrors: errors, lastAnalysisAt: now };
      if (errors >= plan.analysis.errorLimit) {
        effects.push({ type: 'alert', alert: 'plan-paused' });
        const reason = `${errors} analyses in a row could not run (last: ${input.error})`;
        return { state: { ...next, phase: 'paused', reason }, effects, reason: `plan paused: ${reason}` };
      }
      return { state: next, effects, reason: undefined };
    }
    case 'analysis':
    case 'tick': {
      if (state.phase !== 'progressing' && state.phase !== 'inconclusive') return unchanged;
      let next = state;
      if (input.type === 'analysis') {
        const verdict = input.result.verdict;
        next = {
          ...state,
          lastAnalysisAt: now,
          lastVerdict: verdict,
          consecutiveErrors: 0,
          consecutiveFailures:
            verdict === 'fail'
              ? state.consecutiveFailures + 1
              : verdict === 'pass'
                ? 0
                : state.consecutiveFailures,
          consecutiveInconclusive: verdict === 'inconclusive' ? state.consecutiveInconclusive + 1 : 0,
        };
        if (verdict === 'fail' && next.consecutiveFailures >= plan.analysis.failureLimit) {
          state = next;
          return abort(`${next.consecutiveFailures} failed analyses in a row: ${failedChecks(input.result)}`);
        }
      }
      const step = plan.steps[next.step] as CompiledPlanStep;
      const holdOver = now - next.stepStartedAt >= step.holdMs;
      const judged = plan.analysis.checks.length === 0 || next.lastVerdict === 'pass';
      if (holdOver && judged)
        return enter(next.step + 1, next, `step ${next.step + 1} held with passing checks`);
      if (holdOver && next.lastVerdict === 'inconclusive') {
        const limit = plan.analysis.inconclusiveLimit;
        if (limit !== undefined && next.consecutiveInconclusive >= limit) {
          effects.push({ type: 'alert', alert: 'plan-paused' });
          const reason = `${next.consecutiveInconclusive} inconclusive analyses in a row`;
          return { state: { ...next, phase: 'paused', reason }, effects, reason: `plan paused: ${reason}` };
        }
        if (next.phase !== 'inconclusive') {
          effects.push({ type: 'alert', alert: 'plan-inconclusive' });
          const reason = 'too little data to judge the step';
          return {
            state: { ...next, phase: 'inconclusive', reason },
            effects,
            reason: `plan inconclusive: ${reason}`,
          };
        }
      }
      if (next.phase === 'inconclusive' && next.lastVerdict === 'fail')
        next = { ...next, phase: 'progressing', reason: undefined };
      return { state: next, effects, reason: undefined };
    }
  }
}
