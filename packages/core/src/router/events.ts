import type { Attempt } from './attempt.js';
import type { FailoverTrigger, MigrationSide } from './config.js';
import type { MigrationDecision } from './decision.js';

/**
 * Typed router events for the gateway to turn into metrics and logs; core has no logger. Emitting
 * is skipped entirely for a type nobody listens to, so events cost nothing on an idle hot path.
 */

export interface AttemptStartedEvent {
  type: 'attempt-started';
  messageId: string;
  provider: string;
  number: number;
  retry: number;
  at: number;
}

export interface AttemptSucceededEvent {
  type: 'attempt-succeeded';
  messageId: string;
  provider: string;
  attempt: Attempt;
}

export interface AttemptFailedEvent {
  type: 'attempt-failed';
  messageId: string;
  provider: string;
  attempt: Attempt;
  /** Delay before the retry on the same provider; undefined when the router moves on. */
  retryInMs: number | undefined;
}

export interface FailoverEvent {
  type: 'failover';
  messageId: string;
  /** The provider the router leaves. */
  from: string;
  trigger: FailoverTrigger;
  /** Whether the provider was skipped without a call (open breaker, full bulkhead, throttled). */
  skipped: boolean;
}

export interface BreakerEvent {
  type: 'breaker-opened' | 'breaker-half-open' | 'breaker-closed';
  provider: string;
  at: number;
}

export interface RolloutDecisionEvent {
  type: 'rollout-decision';
  messageId: string;
  route: string;
  migration: MigrationDecision;
  side: MigrationSide;
  reason: string;
}

export interface StateStoreErrorEvent {
  type: 'state-store-error';
  operation: string;
  error: unknown;
}

export type RouterEvent =
  | AttemptStartedEvent
  | AttemptSucceededEvent
  | AttemptFailedEvent
  | FailoverEvent
  | BreakerEvent
  | RolloutDecisionEvent
  | StateStoreErrorEvent;

export type RouterEventType = RouterEvent['type'];
// Distributes over the union, so that an event declaring several types (breaker events) is found by each.
type EventOfType<E, T> = E extends { type: infer U } ? (T extends U ? E : never) : never;
export type RouterEventOf<T extends RouterEventType> = EventOfType<RouterEvent, T>;

type AnyListener = (event: RouterEvent) => void;

export class RouterEvents {
  private readonly byType = new Map<RouterEventType, Set<AnyListener>>();
  private readonly all = new Set<AnyListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  /** Listens to one event type. Returns the function that stops listening. */
  on<T extends RouterEventType>(type: T, listener: (event: RouterEventOf<T>) => void): () => void {
    let listeners = this.byType.get(type);
    if (listeners === undefined) {
      listeners = new Set();
      this.byType.set(type, listeners);
    }
    const added = listener as AnyListener;
    listeners.add(added);
    return () => {
      listeners.delete(added);
      if (listeners.size === 0) this.byType.delete(type);
    };
  }

  /** Listens to every event. */
  onAny(listener: (event: RouterEvent) => void): () => void {
    this.all.add(listener);
    return () => this.all.delete(listener);
  }

  /** Whether anyone listens to `type`: callers check first so they need not build the event. */
  has(type: RouterEventType): boolean {
    return this.all.size > 0 || this.byType.has(type);
  }

  emit(event: RouterEvent): void {
    const listeners = this.byType.get(event.type);
    if (listeners) for (const listener of listeners) this.call(listener, event);
    for (const listener of this.all) this.call(listener, event);
  }

  private call(listener: AnyListener, event: RouterEvent): void {
    // A failing metrics listener must never fail a message.
    try {
      listener(event);
    } catch (error) {
      this.onListenerError(error);
    }
  }
}
