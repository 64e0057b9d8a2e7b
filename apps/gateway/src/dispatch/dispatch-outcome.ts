import type { Attempt, RoutedSend, RoutingError } from '@msg/core';
import type { AttemptRecord, DispatchOutcome, StoredMessage } from '../store/message-store.js';

/** Which dispatch of the message this is: attempts continue its numbering and name their round. */
export interface DispatchRound {
  /** Attempts stored before this dispatch. */
  offset: number;
  /** 1 for the first dispatch, then 2, 3… for retry rounds. */
  number: number;
  /** Why the previous round failed. */
  after?: string | undefined;
}

export function dispatchRound(message: StoredMessage): DispatchRound {
  return {
    offset: message.attemptCount ?? 0,
    number: (message.retryRound ?? 0) + 1,
    after: message.retryReason,
  };
}

/** Why the router went to this provider, as the attempt history shows it. */
function attemptReason(attempts: readonly Attempt[], index: number, round: DispatchRound): string {
  const attempt = attempts[index] as Attempt;
  const previous = attempts[index - 1];
  if (round.number > 1 && !previous) {
    return `retry round ${round.number} after ${round.after ?? 'a failed round'}`;
  }
  const reason =
    attempt.retry > 0
      ? `retry ${attempt.retry} on ${attempt.provider}`
      : previous
        ? `failover after ${previous.provider}: ${previous.trigger ?? previous.errorKind}`
        : 'first choice';
  return round.number > 1 ? `retry round ${round.number}: ${reason}` : reason;
}

export function toAttemptRecords(
  messageId: string,
  attempts: readonly Attempt[],
  round: DispatchRound,
): AttemptRecord[] {
  return attempts.map((attempt, index) => ({
    messageId,
    sequence: round.offset + attempt.number,
    providerId: attempt.provider,
    startedAt: attempt.startedAt,
    finishedAt: attempt.endedAt,
    latencyMs: attempt.latencyMs,
    outcome:
      attempt.outcome === 'succeeded'
        ? 'succeeded'
        : attempt.errorKind === 'ambiguous'
          ? 'ambiguous'
          : 'failed',
    errorKind: attempt.errorKind,
    errorCode: attempt.errorCode,
    errorMessage: attempt.error?.message,
    providerMessageId: attempt.providerMessageId,
    possibleDuplicate: attempt.possibleDuplicate,
    reason: attemptReason(attempts, index, round),
  }));
}

export function successOutcome(messageId: string, routed: RoutedSend, round: DispatchRound): DispatchOutcome {
  const skipped = routed.skipped.map((skip) => `${skip.provider} skipped (${skip.reason})`);
  return {
    status: routed.result.status,
    providerId: routed.provider,
    providerMessageId: routed.result.providerMessageId,
    routingReason: [routed.decision.reason, ...skipped].join('; '),
    segments: routed.result.segments,
    cost: routed.result.cost,
    attempts: toAttemptRecords(messageId, routed.attempts, round),
  };
}

export function failureOutcome(
  messageId: string,
  error: RoutingError,
  round: DispatchRound,
  /** Why no further round follows, when retry rounds were given up. */
  gaveUp?: string,
): DispatchOutcome {
  const last = error.lastError;
  const skipped = error.skipped.map((skip) => `${skip.provider} skipped (${skip.reason})`);
  return {
    status: 'failed',
    providerId: error.attempts.at(-1)?.provider,
    routingReason: [error.decision?.reason, ...skipped].filter(Boolean).join('; ') || undefined,
    error: {
      kind: last?.kind ?? 'routing',
      code: last?.providerCode ?? error.code,
      message: gaveUp ? `${error.message}; ${gaveUp}` : error.message,
    },
    attempts: toAttemptRecords(messageId, error.attempts, round),
  };
}
