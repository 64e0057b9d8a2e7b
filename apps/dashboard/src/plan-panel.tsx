import type { PlanView } from './api-types.js';
import { PhaseBadge, VerdictBadge } from './badges.js';
import { duration, time } from './format.js';

/** A migration's plan: its phase, its steps with the current one marked, and what comes next. */
export function PlanPanel({ plan, now }: { plan: PlanView | null; now: number | undefined }) {
  if (!plan) return <p class="muted">No plan: the percentage is set by hand.</p>;
  const finished = plan.phase === 'promoted' || plan.phase === 'aborted';
  const inStep = now === undefined ? plan.timeInStepMs : now - Date.parse(plan.stepStartedAt);
  return (
    <>
      <dl class="facts">
        <div>
          <dt>Phase</dt>
          <dd>
            <PhaseBadge phase={plan.phase} />
          </dd>
        </div>
        <div>
          <dt>Step</dt>
          <dd>
            {plan.step} of {plan.steps.length}
          </dd>
        </div>
        <div>
          <dt>Time in step</dt>
          <dd>{finished ? '–' : duration(Math.max(0, inStep))}</dd>
        </div>
        <div>
          <dt>Next action</dt>
          <dd>{time(plan.nextActionAt)}</dd>
        </div>
        <div>
          <dt>Last analysis</dt>
          <dd>
            {plan.lastVerdict ? <VerdictBadge verdict={plan.lastVerdict} /> : '–'} {time(plan.lastAnalysisAt)}
          </dd>
        </div>
        <div>
          <dt>Failed in a row</dt>
          <dd>
            {plan.consecutiveFailures} of {plan.failureLimit} (then it rolls back)
          </dd>
        </div>
      </dl>
      {plan.reason && <p class="notice">{plan.reason}</p>}
      <ol class="steps" aria-label="Plan steps">
        {plan.steps.map((step, index) => {
          const position = index + 1;
          const state = position < plan.step ? 'done' : position === plan.step ? 'current' : 'next';
          return (
            <li
              key={position}
              class={`step step-${state}`}
              aria-current={state === 'current' ? 'step' : undefined}
            >
              {step.await === 'approval'
                ? 'Wait for approval'
                : `${step.percentage ?? 0} %${step.hold ? `, hold ${step.hold}` : ''}`}
              {state === 'current' && <span class="sr-only"> (current step)</span>}
            </li>
          );
        })}
      </ol>
      {plan.checks.length > 0 && (
        <>
          <h3>Checks</h3>
          <ul class="check-list">
            {plan.checks.map((check) => (
              <li key={check}>
                <code>{check}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
