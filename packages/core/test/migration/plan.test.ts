import { describe, expect, it } from 'vitest';
import {
  type AnalysisResult,
  type CompiledPlan,
  compilePlan,
  initialPlanState,
  isAnalysisDue,
  nextWakeAt,
  PlanActionError,
  type PlanInput,
  type PlanState,
  stepPlan,
  type ValidationIssue,
} from '../../src/index.js';

const MINUTE = 60_000;

function compile(input: unknown): CompiledPlan {
  const issues: ValidationIssue[] = [];
  const plan = compilePlan(input, 'plan', issues);
  expect(issues).toEqual([]);
  return plan as CompiledPlan;
}

const verdict = (
  value: AnalysisResult['verdict'],
  reason = 'to.deliveredRate 0.800 < 0.950',
): AnalysisResult => ({
  verdict: value,
  checks: [{ name: 'delivered', verdict: value, value: 0.8, threshold: 0.95, reason }],
});

const plan = compile({
  steps: [
    { percentage: 10, hold: '30m' },
    { percentage: 25, hold: '30m' },
    { percentage: 50, hold: '30m' },
    { percentage: 100 },
  ],
  analysis: { interval: '10m', checks: ['to.deliveredRate >= 0.95'], failureLimit: 2 },
});

describe('plan validation', () => {
  it('compiles durations and checks', () => {
    expect(plan.steps[0]).toEqual({ percentage: 10, holdMs: 30 * MINUTE, approval: false });
    expect(plan.analysis).toMatchObject({ intervalMs: 10 * MINUTE, minSample: 100, failureLimit: 2 });
    expect(plan.analysis.checks[0]?.metric).toBe('deliveredRate');
  });

  it('names every problem with its path', () => {
    const issues: ValidationIssue[] = [];
    const compiled = compilePlan(
      {
        steps: [
          { percentage: 25 },
          { percentage: 10, hold: 'soon' },
          { await: 'manager' },
          { percentage: 150 },
        ],
        analysis: { checks: ['to.nope > 1'], failureLimit: 0, colour: 'red' },
      },
      'routes.0.migration.plan',
      issues,
    );
    expect(compiled).toBeUndefined();
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'routes.0.migration.plan.steps.1.percentage', message: 'steps must increase: 10 follows 25' },
        expect.objectContaining({ path: 'routes.0.migration.plan.steps.1.hold' }),
        expect.objectContaining({ path: 'routes.0.migration.plan.steps.2.await' }),
        expect.objectContaining({ path: 'routes.0.migration.plan.steps.3.percentage' }),
        expect.objectContaining({
          path: 'routes.0.migration.plan.analysis.checks.0',
          message: expect.stringContaining('unknown metric "nope"'),
        }),
        expect.objectContaining({ path: 'routes.0.migration.plan.analysis.failureLimit' }),
        expect.objectContaining({ path: 'routes.0.migration.plan.analysis.colour' }),
      ]),
    );
  });

  it('refuses a plan without steps', () => {
    const issues: ValidationIssue[] = [];
    expect(compilePlan({ steps: [] }, 'plan', issues)).toBeUndefined();
    expect(issues[0]?.path).toBe('plan.steps');
  });
});

/** Drives a plan as the host does: feeds inputs at given times, collects effects. */
function drive(compiled: CompiledPlan, inputs: Array<[number, PlanInput]>) {
  let state: PlanState = initialPlanState(0);
  const effects: unknown[] = [];
  const reasons: string[] = [];
  for (const [at, input] of inputs) {
    const transition = stepPlan(compiled, state, input, at * MINUTE);
    state = transition.state;
    effects.push(...transition.effects);
    if (transition.reason) reasons.push(transition.reason);
  }
  return { state, effects, reasons };
}

describe('plan state machine', () => {
  it('advances 10 -> 25 -> 50 -> 100 while the checks pass, then promotes', () => {
    const pass = { type: 'analysis', result: verdict('pass') } as const;
    const run = drive(plan, [
      [0, { type: 'start' }],
      [10, pass],
      [20, pass],
      [30, pass],
      [40, pass],
      [50, pass],
      [60, pass],
      [70, pass],
      [80, pass],
      [90, pass],
      [100, pass],
    ]);
    const percentages = run.effects.filter(
      (effect) => (effect as { type: string }).type === 'set-percentage',
    );
    expect(percentages).toEqual([
      { type: 'set-percentage', percentage: 10 },
      { type: 'set-percentage', percentage: 25 },
      { type: 'set-percentage', percentage: 50 },
      { type: 'set-percentage', percentage: 100 },
    ]);
    expect(run.effects).toContainEqual({ type: 'complete' });
    expect(run.state.phase).toBe('promoted');
    expect(run.reasons[0]).toBe('plan started; step 1 of 4: 10%, hold 30m');
  });

  it('does not advance before the hold is over, even with passing checks', () => {
    const run = drive(plan, [
      [0, { type: 'start' }],
      [10, { type: 'analysis', result: verdict('pass') }],
      [20, { type: 'analysis', result: verdict('pass') }],
    ]);
    expect(run.state).toMatchObject({ phase: 'progressing', step: 0 });
    expect(nextWakeAt(plan, run.state)).toBe(30 * MINUTE);
    const advanced = stepPlan(plan, run.state, { type: 'tick' }, 30 * MINUTE);
    expect(advanced.state.step).toBe(1);
  });

  it('aborts after failureLimit failed analyses in a row, rolling back with the failed checks as reason', () => {
    const run = drive(plan, [
      [0, { type: 'start' }],
      [10, { type: 'analysis', result: verdict('fail') }],
      [20, { type: 'analysis', result: verdict('pass') }],
      [30, { type: 'analysis', result: verdict('fail') }],
      [40, { type: 'analysis', result: verdict('fail') }],
    ]);
    expect(run.state.phase).toBe('aborted');
    expect(run.effects).toContainEqual({ type: 'roll-back' });
    expect(run.effects).toContainEqual({ type: 'alert', alert: 'plan-aborted' });
    expect(run.state.reason).toBe('2 failed analyses in a row: to.deliveredRate 0.800 < 0.950');
  });

  it('pauses inconclusive on too little data instead of failing or advancing', () => {
    const inconclusive = {
      type: 'analysis',
      result: verdict('inconclusive', 'to: 3 settled messages'),
    } as const;
    const run = drive(plan, [
      [0, { type: 'start' }],
      [10, inconclusive],
      [20, inconclusive],
      [30, inconclusive],
      [40, inconclusive],
      [50, inconclusive],
    ]);
    expect(run.state).toMatchObject({ phase: 'inconclusive', step: 0 });
    expect(
      run.effects.filter((effect) => (effect as { alert?: string }).alert === 'plan-inconclusive'),
    ).toHaveLength(1);
    expect(run.effects).not.toContainEqual({ type: 'roll-back' });
    // Enough data later: it moves on.
    const later = stepPlan(plan, run.state, { type: 'analysis', result: verdict('pass') }, 60 * MINUTE);
    expect(later.state).toMatchObject({ phase: 'progressing', step: 1 });
  });

  it('waits at an approval gate until approved', () => {
    const gated = compile({ steps: [{ percentage: 10 }, { await: 'approval' }, { percentage: 100 }] });
    const run = drive(gated, [
      [0, { type: 'start' }],
      [1, { type: 'tick' }],
      [2, { type: 'tick' }],
    ]);
    expect(run.state.phase).toBe('awaiting-approval');
    expect(() => stepPlan(gated, run.state, { type: 'resume', reason: 'x' }, 3 * MINUTE)).toThrow(
      PlanActionError,
    );
    const approved = stepPlan(gated, run.state, { type: 'approve', reason: 'looks good' }, 3 * MINUTE);
    expect(approved.effects).toContainEqual({ type: 'set-percentage', percentage: 100 });
  });

  it('pauses, resumes, promotes and aborts by hand; refuses what does not apply', () => {
    let state = stepPlan(plan, initialPlanState(0), { type: 'start' }, 0).state;
    state = stepPlan(plan, state, { type: 'pause', reason: 'carrier maintenance' }, MINUTE).state;
    expect(state).toMatchObject({ phase: 'paused', reason: 'carrier maintenance' });
    expect(isAnalysisDue(plan, state, 60 * MINUTE)).toBe(false);
    expect(() => stepPlan(plan, state, { type: 'pause', reason: 'again' }, MINUTE)).toThrow(
      'cannot pause: the plan is paused',
    );
    state = stepPlan(plan, state, { type: 'resume', reason: 'done' }, 2 * MINUTE).state;
    expect(state.phase).toBe('progressing');
    const promoted = stepPlan(plan, state, { type: 'promote', reason: 'confident' }, 3 * MINUTE);
    expect(promoted.state.phase).toBe('promoted');
    expect(promoted.effects).toContainEqual({ type: 'complete' });
    expect(() => stepPlan(plan, promoted.state, { type: 'abort', reason: 'late' }, 4 * MINUTE)).toThrow(
      PlanActionError,
    );
  });

  it('aborts at once on a configuration error from the new side', () => {
    const state = stepPlan(plan, initialPlanState(0), { type: 'start' }, 0).state;
    const aborted = stepPlan(
      plan,
      state,
      { type: 'configuration-error', provider: 'africastalking', detail: 'bad key' },
      MINUTE,
    );
    expect(aborted.state).toMatchObject({
      phase: 'aborted',
      reason: 'africastalking answered with a configuration error: bad key',
    });
    expect(aborted.effects).toContainEqual({ type: 'roll-back' });
  });

  it('pauses after errorLimit analyses that could not run', () => {
    const fragile = compile({
      steps: [{ percentage: 10, hold: '1h' }],
      analysis: { checks: ['to.deliveredRate >= 0.9'], errorLimit: 2 },
    });
    let state = stepPlan(fragile, initialPlanState(0), { type: 'start' }, 0).state;
    state = stepPlan(fragile, state, { type: 'analysis-error', error: 'disk I/O error' }, 5 * MINUTE).state;
    expect(state.phase).toBe('progressing');
    state = stepPlan(fragile, state, { type: 'analysis-error', error: 'disk I/O error' }, 10 * MINUTE).state;
    expect(state).toMatchObject({
      phase: 'paused',
      reason: '2 analyses in a row could not run (last: disk I/O error)',
    });
  });

  it('runs the analysis once per interval, from the start of the step', () => {
    const state = stepPlan(plan, initialPlanState(0), { type: 'start' }, 0).state;
    expect(isAnalysisDue(plan, state, 9 * MINUTE)).toBe(false);
    expect(isAnalysisDue(plan, state, 10 * MINUTE)).toBe(true);
  });
});
