import { type ErrorKind, MsgError, type ProviderError } from '../errors.js';
import type { Attempt, SkippedProvider } from './attempt.js';
import type { RoutingDecision } from './decision.js';

const ROUTING_ERROR_MARKER = Symbol.for('msg.error.routing');

export type RoutingErrorCode =
  /** No route matched the message and the config has no default route. */
  | 'MSG_ERR_ROUTING_NO_ROUTE'
  /** The route had providers, but every one was halted, stopped or of another channel. */
  | 'MSG_ERR_ROUTING_NO_PROVIDER'
  /** A failure whose kind the route does not fail over on (a bad number): the message is failed. */
  | 'MSG_ERR_ROUTING_FAILED'
  /** Every candidate was tried or skipped. */
  | 'MSG_ERR_ROUTING_EXHAUSTED'
  /** The caller's signal aborted the send. */
  | 'MSG_ERR_ROUTING_ABORTED';

export interface RoutingErrorOptions {
  attempts?: readonly Attempt[];
  skipped?: readonly SkippedProvider[];
  decision?: RoutingDecision | undefined;
  cause?: unknown;
}

/** The router gave up on a message. It carries every attempt, so the caller can persist them. */
export class RoutingError extends MsgError {
  readonly [ROUTING_ERROR_MARKER] = true;
  declare readonly code: RoutingErrorCode;
  readonly attempts: readonly Attempt[];
  readonly skipped: readonly SkippedProvider[];
  readonly decision: RoutingDecision | undefined;

  constructor(code: RoutingErrorCode, message: string, options: RoutingErrorOptions = {}) {
    super(code, `[msg] [router] ${message}`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'RoutingError';
    this.attempts = options.attempts ?? [];
    this.skipped = options.skipped ?? [];
    this.decision = options.decision;
  }

  /** The error of the last attempt, if any provider was called. */
  get lastError(): ProviderError | undefined {
    return this.attempts.at(-1)?.error;
  }

  /** Kind of the last provider error: `permanent` tells the caller not to try again later. */
  get kind(): ErrorKind | undefined {
    return this.lastError?.kind;
  }

  /** Whether an earlier attempt may have delivered the message (an ambiguous outcome). */
  get possibleDuplicate(): boolean {
    return this.attempts.some((attempt) => attempt.errorKind === 'ambiguous');
  }

  /** Shortest wait a provider asked for, so a queue can schedule the next try. */
  get retryAfterMs(): number | undefined {
    let shortest: number | undefined;
    for (const attempt of this.attempts) {
      const wait = attempt.error?.retryAfterMs;
      if (wait !== undefined && (shortest === undefined || wait < shortest)) shortest = wait;
    }
    return shortest;
  }

  static override isInstance(error: unknown): error is RoutingError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[ROUTING_ERROR_MARKER] === true
    );
  }
}
