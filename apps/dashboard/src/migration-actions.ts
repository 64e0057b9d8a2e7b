import type { MigrationView } from './api-types.js';

/** One button of a migration's controls, and what its confirmation says and sends. */
export interface MigrationAction {
  /** The button's word, and the confirmation's. */
  label: string;
  title: string;
  consequence: string;
  /** Below `/v1/admin/migrations/:id/`. */
  path: string;
  body: Record<string, unknown>;
  /** Said once the gateway has done it. */
  done: string;
  tone: 'primary' | 'secondary' | 'danger';
}

/**
 * The actions a migration's state allows, as buttons: plan actions while a plan runs (approve only
 * at a gate, resume only when it waits), promote to `complete` without one, and either an
 * emergency stop or, once rolled back, the resume that leaves it. The gateway refuses the others
 * anyway; offering them would only teach the operator to expect refusals.
 */
export function migrationActions(migration: MigrationView): MigrationAction[] {
  const id = migration.id;
  const from = migration.from.join(', ');
  const to = migration.to.join(', ');
  const rolledBack = migration.mode === 'rolled-back';
  const plan = migration.plan;
  const planRunning = plan !== null && !['promoted', 'aborted'].includes(plan.phase);
  const actions: MigrationAction[] = [];
  const add = (action: Omit<MigrationAction, 'body' | 'tone'> & Partial<MigrationAction>) =>
    actions.push({ body: {}, tone: 'secondary', ...action });

  if (planRunning && !rolledBack) {
    add({
      label: 'Promote',
      title: `Promote ${id}`,
      consequence: `The plan ends as promoted: everything goes to ${to}.`,
      path: 'plan/promote',
      done: 'Plan promoted.',
    });
    if (plan.phase === 'awaiting-approval') {
      add({
        label: 'Approve',
        title: `Approve ${id}`,
        consequence: 'The plan goes on to its next step.',
        path: 'plan/approve',
        done: 'Step approved.',
      });
    }
    if (['paused', 'inconclusive', 'awaiting-approval'].includes(plan.phase)) {
      add({
        label: 'Resume plan',
        title: `Resume the plan of ${id}`,
        consequence: 'The plan goes on from its current step.',
        path: 'plan/resume',
        done: 'Plan resumed.',
      });
    } else {
      add({
        label: 'Pause plan',
        title: `Pause the plan of ${id}`,
        consequence: 'The plan stays at its current step and percentage until resumed.',
        path: 'plan/pause',
        done: 'Plan paused.',
      });
    }
  } else if (!rolledBack && migration.mode !== 'complete') {
    add({
      label: 'Promote',
      title: `Promote ${id}`,
      consequence: `The migration completes: everything goes to ${to}.`,
      path: 'mode',
      body: { mode: 'complete' },
      done: 'Migration promoted: complete.',
    });
  }
  if (rolledBack) {
    add({
      label: 'Resume',
      title: `Resume ${id}`,
      consequence: migration.resumeTo
        ? `Back to ${migration.resumeTo.mode} at ${migration.resumeTo.percentage} %.`
        : 'Back to the state before the emergency stop.',
      path: 'resume',
      done: 'Migration resumed.',
      tone: 'primary',
    });
  } else {
    add({
      label: 'Emergency stop',
      title: `Emergency stop ${id}`,
      consequence: `Every message goes to ${from} from the next one on, whatever the plan or the percentage, until resumed.`,
      path: 'emergency-stop',
      done: 'Emergency stop: all traffic back to the old side.',
      tone: 'danger',
    });
  }
  return actions;
}
