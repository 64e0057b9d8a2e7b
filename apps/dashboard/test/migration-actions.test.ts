import { describe, expect, it } from 'vitest';
import type { MigrationView, PlanView } from '../src/api-types.js';
import { migrationActions } from '../src/migration-actions.js';

const migration = (overrides: Partial<MigrationView> = {}): MigrationView => ({
  id: 'old-to-new',
  route: 'sms',
  from: ['old'],
  to: ['new'],
  mode: 'gradual',
  percentage: 25,
  source: 'config',
  crossSideFailover: 'gradual',
  plan: null,
  lastChecks: null,
  ...overrides,
});

const plan = (phase: PlanView['phase']): PlanView => ({
  origin: 'config',
  phase,
  step: 1,
  steps: [{ percentage: 25 }, { await: 'approval' }, { percentage: 100 }],
  stepStartedAt: '2030-01-01T00:00:00Z',
  timeInStepMs: 0,
  consecutiveFailures: 0,
  failureLimit: 3,
  checks: [],
});

const labels = (view: MigrationView) => migrationActions(view).map((action) => action.label);

describe("a migration's controls", () => {
  it('offers promote (to complete) and the emergency stop without a plan', () => {
    const actions = migrationActions(migration());
    expect(actions.map((action) => [action.label, action.path, action.body])).toEqual([
      ['Promote', 'mode', { mode: 'complete' }],
      ['Emergency stop', 'emergency-stop', {}],
    ]);
    expect(actions[1]?.tone).toBe('danger');
    expect(labels(migration({ mode: 'complete', percentage: 100 }))).toEqual(['Emergency stop']);
  });

  it("follows a running plan's phase: pause while it progresses, resume and approve while it waits", () => {
    expect(labels(migration({ plan: plan('progressing') }))).toEqual([
      'Promote',
      'Pause plan',
      'Emergency stop',
    ]);
    expect(labels(migration({ plan: plan('paused') }))).toEqual(['Promote', 'Resume plan', 'Emergency stop']);
    expect(labels(migration({ plan: plan('awaiting-approval') }))).toEqual([
      'Promote',
      'Approve',
      'Resume plan',
      'Emergency stop',
    ]);
    expect(migrationActions(migration({ plan: plan('progressing') }))[0]?.path).toBe('plan/promote');
  });

  it('offers only the resume once rolled back, saying what it restores', () => {
    const actions = migrationActions(
      migration({
        mode: 'rolled-back',
        plan: plan('aborted'),
        resumeTo: { mode: 'gradual', percentage: 25 },
      }),
    );
    expect(actions.map((action) => action.label)).toEqual(['Resume']);
    expect(actions[0]).toMatchObject({ path: 'resume', consequence: 'Back to gradual at 25 %.' });
  });
});
