import type { Attempt, RoutedSend, RoutingError } from '@msg/core';
import type { AttemptRecord, DispatchOutcome } from '../store/message-store.js';

/** Why the router went to this provider, as the attempt history shows it. */
function attemptReason(attempts: readonly Attempt[], index: number): string {
  const attempt = attempts[index] as Attempt;
  if (attempt.retry > 0) return `retry ${attempt.retry} on ${attempt.provider}`;
  const previous = attempts[index - 1];
  return previous
    ? `failover after ${previous.provider}: ${previous.trigger ?? previous.errorKind}`
    : 'first choice';
}

export function toAttemptRecords(
  messageId: string,
  attempts: readonly Attempt[],
  sequenceOffset: number,
): AttemptRecord[] {
  return attempts.map((attempt, index) => ({
    messageId,
    sequence: sequenceOffset + attempt.number,
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
    reason: attemptReason(attempts, index),
  }));
}

export function successOutcome(
  messageId: string,
  routed: RoutedSend,
  sequenceOffset: number,
): DispatchOutcome {
  const skipped = routed.skipped.map((skip) => `${skip.provider} skipped (${skip.reason})`);
  return {
    status: routed.result.status,
    providerId: routed.provider,
    providerMessageId: routed.result.providerMessageId,
    routingReason: [routed.decision.reason, ...skipped].join('; '),
    segments: routed.result.segments,
    cost: routed.result.cost,
    attempts: toAttemptRecords(messageId, routed.attempts, sequenceOffset),
  };
}

export function failureOutcome(
  messageId: string,
  error: RoutingError,
  sequenceOffset: number,
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
      message: error.message,
    },
    attempts: toAttemptRecords(messageId, error.attempts, sequenceOffset),
  };
}
