import type { BreakerState, MigrationMode, PlanPhase, Verdict } from './api-types.js';

const MODE_TONE: Record<MigrationMode, string> = {
  off: 'neutral',
  shadow: 'info',
  gradual: 'info',
  complete: 'good',
  'rolled-back': 'bad',
};
const BREAKER_TONE: Record<BreakerState, string> = { closed: 'good', 'half-open': 'warn', open: 'bad' };
const VERDICT_TONE: Record<Verdict, string> = { pass: 'good', fail: 'bad', inconclusive: 'warn' };
const PHASE_TONE: Record<PlanPhase, string> = {
  pending: 'neutral',
  progressing: 'info',
  paused: 'warn',
  'awaiting-approval': 'warn',
  inconclusive: 'warn',
  promoted: 'good',
  aborted: 'bad',
};

/** A state as a word with a colour; the word alone carries the meaning (no colour-only signals). */
function Badge({ tone, text, label }: { tone: string; text: string; label?: string }) {
  return (
    <span class={`badge tone-${tone}`} title={label}>
      {text}
    </span>
  );
}

export const ModeBadge = ({ mode }: { mode: MigrationMode }) => (
  <Badge tone={MODE_TONE[mode] ?? 'neutral'} text={mode === 'rolled-back' ? 'rolled back' : mode} />
);
export const BreakerBadge = ({ state }: { state: BreakerState }) => (
  <Badge tone={BREAKER_TONE[state] ?? 'neutral'} text={state} label={`circuit breaker ${state}`} />
);
export const VerdictBadge = ({ verdict }: { verdict: Verdict }) => (
  <Badge tone={VERDICT_TONE[verdict] ?? 'neutral'} text={verdict} />
);
export const PhaseBadge = ({ phase }: { phase: PlanPhase }) => (
  <Badge tone={PHASE_TONE[phase] ?? 'neutral'} text={phase.replace('-', ' ')} />
);
export const StatusBadge = ({ status }: { status: string }) => {
  const tone = ['delivered', 'opened', 'clicked'].includes(status)
    ? 'good'
    : ['failed', 'undelivered', 'expired', 'bounced', 'rejected'].includes(status)
      ? 'bad'
      : status === 'unknown'
        ? 'warn'
        : 'info';
  return <Badge tone={tone} text={status} />;
};

/** How traffic splits between the two sides right now. */
export function ShareBar({ toShare, from, to }: { toShare: number; from: string; to: string }) {
  const label = `${100 - toShare} % to ${from}, ${toShare} % to ${to}`;
  return (
    <div class="share" role="img" aria-label={label}>
      <div class="share-from" style={{ width: `${100 - toShare}%` }} />
      <div class="share-to" style={{ width: `${toShare}%` }} />
    </div>
  );
}

/** The share of traffic on `to` that a mode and percentage mean. */
export function toShare(mode: MigrationMode, percentage: number): number {
  if (mode === 'complete') return 100;
  if (mode === 'gradual') return percentage;
  return 0;
}
