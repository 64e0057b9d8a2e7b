import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type IBreaker,
  SamplingBreaker,
} from 'cockatiel';
import { ProviderError } from '../errors.js';
import type { ResolvedProviderPolicy } from './config.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

type BreakerSettings = ResolvedProviderPolicy['breaker'];

/**
 * Adds to cockatiel's breakers what they lack: a success threshold to close (cockatiel closes on the
 * first good probe; we keep the breaker on probation until `successThreshold` successes, and any
 * failure meanwhile opens it again), and opening at once on a configuration error. Rate-limited
 * answers only count once they have lasted `rateLimitGraceMs` without a success.
 */
class ProbationBreaker implements IBreaker {
  /** Successes still needed after cockatiel closed on a good probe. */
  remaining = 0;
  /** Set by the error filter: the failure being recorded must open the breaker. */
  openOnNextFailure = false;

  constructor(
    private readonly inner: IBreaker,
    private readonly onRecovered: () => void,
    private readonly onSuccess: () => void,
  ) {}

  get state(): unknown {
    return { inner: this.inner.state, remaining: this.remaining };
  }

  set state(value: unknown) {
    const saved = value as { inner?: unknown; remaining?: number } | undefined;
    if (saved?.inner !== undefined) this.inner.state = saved.inner;
    this.remaining = saved?.remaining ?? 0;
  }

  success(state: CircuitState): void {
    this.inner.success(state);
    this.onSuccess();
    if (state === CircuitState.Closed && this.remaining > 0 && --this.remaining === 0) this.onRecovered();
  }

  failure(state: CircuitState): boolean {
    const opens = this.inner.failure(state);
    if (this.openOnNextFailure) {
      this.openOnNextFailure = false;
      return true;
    }
    return opens || (state === CircuitState.Closed && this.remaining > 0);
  }
}

/**
 * One provider's circuit breaker: cockatiel's `CircuitBreakerPolicy` plus a cheap admission check,
 * so that skipping an open breaker costs a comparison instead of a thrown `BrokenCircuitError`.
 * While half-open, one probe runs at a time and other messages fail over rather than wait for it.
 * Breaker timing uses `Date.now()`, as cockatiel does.
 */
export class ProviderCircuit {
  private policy!: CircuitBreakerPolicy;
  private breaker!: ProbationBreaker;
  private phase: BreakerState = 'closed';
  private openedAt = 0;
  private probing = false;
  /** When the current run of rate-limited answers (no success since) began. */
  private rateLimitedSince: number | undefined;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly onChange: (state: BreakerState) => void,
    initialState?: unknown,
  ) {
    this.build(initialState);
  }

  get state(): BreakerState {
    return this.phase;
  }

  /** Whether a call may go now: the breaker is closed, or this call can be its one probe. */
  canCall(now: number = Date.now()): boolean {
    if (this.phase === 'closed') return true;
    if (this.probing) return false;
    return this.phase === 'half-open' || now - this.openedAt >= this.settings.halfOpenAfterMs;
  }

  execute<T>(call: () => Promise<T>): Promise<T> {
    if (this.phase === 'closed') return this.policy.execute(call);
    return this.probe(call);
  }

  /** Cockatiel's serialised state, for the state store. */
  toJSON(): unknown {
    return this.policy.toJSON();
  }

  /** Replaces the state with one saved by another instance (or a fresh one when undefined). */
  restore(saved: unknown): void {
    this.build(saved);
  }

  private async probe<T>(call: () => Promise<T>): Promise<T> {
    this.probing = true;
    try {
      return await this.policy.execute(call);
    } finally {
      this.probing = false;
    }
  }

  /**
   * Whether a failure says the provider is unwell. `permanent` is the message's fault; a
   * rate-limited answer is back-pressure, until the provider has given nothing else for
   * `rateLimitGraceMs`.
   */
  private countsAgainstProvider(error: unknown): boolean {
    if (!ProviderError.isInstance(error) || error.kind === 'permanent') return false;
    if (error.kind !== 'rate-limited') return true;
    const now = Date.now();
    this.rateLimitedSince ??= now;
    return now - this.rateLimitedSince >= this.settings.rateLimitGraceMs;
  }

  private build(saved: unknown): void {
    const settings = this.settings;
    const inner =
      settings.mode === 'error-rate'
        ? new SamplingBreaker({
            threshold: settings.errorRateThreshold,
            duration: settings.windowMs,
            ...(settings.minimumRps === undefined ? {} : { minimumRps: settings.minimumRps }),
          })
        : new ConsecutiveBreaker(settings.failureThreshold);
    const breaker = new ProbationBreaker(
      inner,
      () => {
        if (this.breaker === breaker) this.transition('closed');
      },
      () => {
        this.rateLimitedSince = undefined;
      },
    );
    const policy = circuitBreaker(
      handleWhen((error) => {
        if (!this.countsAgainstProvider(error)) return false;
        // A bad key or an unverified sender will not fix itself: stop sending there at once.
        if ((error as ProviderError).kind === 'configuration') breaker.openOnNextFailure = true;
        return true;
      }),
      { breaker, halfOpenAfter: settings.halfOpenAfterMs, initialState: saved },
    );
    // Listeners check that their policy is still current: `restore` replaces it.
    policy.onBreak(() => {
      if (this.policy !== policy) return;
      breaker.remaining = 0;
      this.openedAt = Date.now();
      this.transition('open');
    });
    policy.onHalfOpen(() => {
      if (this.policy === policy) this.transition('half-open');
    });
    policy.onReset(() => {
      if (this.policy !== policy) return;
      breaker.remaining = settings.successThreshold - 1;
      this.transition(breaker.remaining > 0 ? 'half-open' : 'closed');
    });
    this.policy = policy;
    this.breaker = breaker;
    this.probing = false;
    const own = (saved as { ownState?: { value?: number; openedAt?: number } } | undefined)?.ownState;
    if (own?.value === CircuitState.Open || own?.value === CircuitState.HalfOpen) {
      this.phase = 'open';
      this.openedAt = own.openedAt ?? 0;
    } else {
      this.phase = breaker.remaining > 0 ? 'half-open' : 'closed';
    }
  }

  private transition(state: BreakerState): void {
    if (this.phase === state) return;
    this.phase = state;
    this.onChange(state);
  }
}
