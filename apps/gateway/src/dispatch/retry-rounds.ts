import { type FailoverTrigger, RoutingError } from '@msg/core';
import type { StoredMessage } from '../store/message-store.js';

export interface RetryRoundsConfig {
  maxRounds: number;
  maxAgeMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/** Reasons a provider fails or is passed over that may pass with time. */
const PASSING: ReadonlySet<FailoverTrigger> = new Set<FailoverTrigger>([
  'transient',
  'rate-limited',
  'timeout',
  // Only reached when the route fails over on it, so sending again is the route's own rule.
  'ambiguous',
  'breaker-open',
  'bulkhead-full',
  'throttled',
]);

/** `acme-a: transient, acme-b: breaker-open`: each provider of the round and why it failed. */
export function roundSummary(error: RoutingError): string {
  return [
    ...error.attempts.map((attempt) => `${attempt.provider}: ${attempt.trigger ?? attempt.errorKind}`),
    ...error.skipped.map((skip) => `${skip.provider}: ${skip.reason}`),
  ].join(', ');
}

/**
 * Whether a later round may succeed: every candidate was tried or skipped (the route failed over
 * on each), none refused the message itself (`permanent`), and at least one failed for a reason
 * that passes. Configuration errors alone need an operator, not time.
 */
export function mayPass(error: unknown): error is RoutingError {
  if (!RoutingError.isInstance(error) || error.code !== 'MSG_ERR_ROUTING_EXHAUSTED') return false;
  const triggers = [
    ...error.attempts.map((attempt) => attempt.trigger ?? attempt.errorKind),
    ...error.skipped.map((skip) => skip.reason),
  ];
  if (triggers.includes('permanent')) return false;
  return triggers.some((trigger) => trigger !== undefined && PASSING.has(trigger));
}

export type RoundDecision =
  | { retry: true; round: number; nextAttemptAt: number; reason: string }
  | { retry: false; round: number; why: string };

/**
 * After round `message.retryRound + 1` failed with `error`: the time of the next round
 * (exponential backoff with jitter, never sooner than a provider's Retry-After), or why not.
 */
export function nextRound(
  config: RetryRoundsConfig,
  message: StoredMessage,
  error: RoutingError,
  now: number,
  random: () => number = Math.random,
): RoundDecision {
  const round = (message.retryRound ?? 0) + 1;
  const rounds = `${round} round${round === 1 ? '' : 's'}`;
  if (round > config.maxRounds) {
    return { retry: false, round, why: `gave up after ${rounds} (dispatch.retryRounds.maxRounds)` };
  }
  const step = Math.min(config.maxBackoffMs, config.initialBackoffMs * 2 ** (round - 1));
  const delay = Math.max(Math.round(step / 2 + (random() * step) / 2), error.retryAfterMs ?? 0);
  const nextAttemptAt = now + delay;
  if (nextAttemptAt > message.createdAt + config.maxAgeMs) {
    return {
      retry: false,
      round,
      why: `gave up after ${rounds}: the next would start past dispatch.retryRounds.maxAgeMs`,
    };
  }
  return { retry: true, round, nextAttemptAt, reason: roundSummary(error) };
}
