import { ProviderError, ValidationError } from '../errors.js';
import { CHANNELS, type Channel, type Message } from '../message.js';
import {
  type CrossSideFailover,
  MIGRATION_MODES,
  type MigrationMode,
  modeTransitionError,
} from '../migration/mode.js';
import { phoneNumberCountry } from '../phone.js';
import type { Provider, SendResult } from '../provider.js';
import { networkError, PLUGIN_EXCEPTION_CODE, pluginException } from '../provider-utils.js';
import type { Attempt, SkippedProvider } from './attempt.js';
import { CarrierLookup, ZAMBIA_CARRIERS } from './carriers.js';
import { type BreakerState, ProviderCircuit } from './circuit.js';
import {
  DEFAULT_HEALTH_WEIGHTS,
  DEFAULT_HEALTH_WINDOW_MS,
  type FailoverTrigger,
  type HealthWeights,
  type ResolvedProviderPolicy,
  type RouterConfig,
  type RoutingStrategy,
  resolveProviderPolicy,
  validateRouterConfig,
} from './config.js';
import { decideOnRoute, type RoutingDecision, type RoutingOverride } from './decision.js';
import { type RouterEvent, type RouterEventOf, RouterEvents, type RouterEventType } from './events.js';
import { type HealthSnapshot, HealthWindow } from './health.js';
import { type CompiledMigration, type CompiledRoute, compileRoutes, matchRoute } from './routes.js';
import { RoutingError } from './routing-error.js';
import { MemoryRouterStateStore, type RouterStateStore } from './state.js';
import { type ProviderLoad, type StrategyContext, scoreProviders } from './strategies.js';

/** The error code of an attempt the router's timeout cut short. */
export const TIMEOUT_ERROR_CODE = 'MSG_TIMEOUT';

export interface RouterOptions {
  /** Validated here: an invalid config throws a `ValidationError` naming each path. */
  config: RouterConfig;
  providers: readonly Provider[];
  /** Breaker, rollout, halt and rate-limit state; in memory when absent. */
  store?: RouterStateStore;
  /** Milliseconds for attempt times, health windows and rate limits. Breakers use `Date.now()`. */
  now?: () => number;
  /** The wait between retries; tests pass an instant or recording one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** For the weighted strategy and retry jitter. */
  random?: () => number;
  /** Names this instance's writes to a shared store. */
  instanceId?: string;
  /** Called when an event listener throws; the message goes on regardless. */
  onListenerError?: (error: unknown) => void;
}

export interface RouterSendOptions {
  signal?: AbortSignal | undefined;
  override?: RoutingOverride | undefined;
  /** The provider earlier parts or tries of this message went to: it goes first unless it fails. */
  affinity?: string | undefined;
}

export interface RoutedSend {
  result: SendResult;
  provider: string;
  attempts: readonly Attempt[];
  skipped: readonly SkippedProvider[];
  decision: RoutingDecision;
  /** An earlier attempt had an ambiguous outcome: the recipient may get the message twice. */
  possibleDuplicate: boolean;
}

export interface ProviderStatus {
  id: string;
  channel: Channel;
  breaker: BreakerState;
  halted: boolean;
  inFlight: number;
  health: HealthSnapshot;
}

export interface MigrationStatus {
  id: string;
  route: string;
  from: readonly string[];
  to: readonly string[];
  mode: MigrationMode;
  percentage: number;
  /** The mode is `rolled-back`. */
  emergencyStop: boolean;
  crossSideFailover: CrossSideFailover;
}

export interface RouteStatus {
  id: string;
  strategy: RoutingStrategy;
  /**
   * The route's providers in its order, each with its health score there (0-100): the router's own
   * weights and this route's priority order, as the `health` strategy ranks them.
   */
  providers: Array<{ id: string; channel: Channel; score: number }>;
}

export interface RouterStatus {
  providers: ProviderStatus[];
  migrations: MigrationStatus[];
  routes: RouteStatus[];
}

interface ProviderRuntime {
  provider: Provider;
  policy: ResolvedProviderPolicy;
  circuit: ProviderCircuit;
  health: HealthWindow;
  inFlight: number;
  rateKey: string;
  /** The provider asked to be left alone until then (a retry-after): back-pressure, not ill health. */
  pausedUntil: number;
}

type SkipReason = SkippedProvider['reason'];

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

let instanceCounter = 0;

/**
 * Routes each message to a provider and keeps it moving while a healthy provider remains: per
 * provider a timeout, retries for transient and rate-limited errors, a circuit breaker, an optional
 * bulkhead and rate limit; per route a strategy, a sticky migration and failover rules. No I/O of
 * its own: providers do the sending and the state store holds what must be shared.
 */
export class Router {
  readonly events: RouterEvents;
  private readonly config: RouterConfig;
  private readonly store: RouterStateStore;
  private readonly routes: CompiledRoute[];
  private readonly runtimes = new Map<string, ProviderRuntime>();
  private readonly carriers: CarrierLookup;
  private readonly strategy: StrategyContext;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly instanceId: string;
  private readonly unsubscribe: () => void;

  constructor(options: RouterOptions) {
    const ids = new Set<string>();
    for (const provider of options.providers) {
      if (ids.has(provider.id)) {
        throw new ValidationError(
          [{ path: 'providers', message: `duplicate provider id "${provider.id}"` }],
          {
            code: 'MSG_ERR_ROUTER_CONFIG',
            subject: 'invalid router',
          },
        );
      }
      ids.add(provider.id);
    }
    this.config = validateRouterConfig(options.config, { providers: options.providers });
    this.store = options.store ?? new MemoryRouterStateStore();
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.instanceId = options.instanceId ?? `router-${process.pid}-${++instanceCounter}`;
    this.events = new RouterEvents(options.onListenerError);
    this.carriers = new CarrierLookup(this.config.carriers ?? ZAMBIA_CARRIERS);

    const windowMs = this.config.health?.windowMs ?? DEFAULT_HEALTH_WINDOW_MS;
    for (const provider of options.providers) {
      const policy = resolveProviderPolicy(this.config, provider.id);
      const circuit = new ProviderCircuit(
        policy.breaker,
        (state) => this.onBreakerChange(provider.id, state),
        this.store.getBreaker(provider.id)?.state,
      );
      this.runtimes.set(provider.id, {
        provider,
        policy,
        circuit,
        health: new HealthWindow(windowMs),
        inFlight: 0,
        rateKey: `rate:${provider.id}`,
        pausedUntil: 0,
      });
    }
    this.routes = compileRoutes(this.config.routes, (id) => this.runtimes.get(id)?.provider.channel);

    const weights: HealthWeights = { ...DEFAULT_HEALTH_WEIGHTS };
    for (const [key, value] of Object.entries(this.config.health?.weights ?? {})) {
      if (value !== undefined) weights[key as keyof HealthWeights] = value;
    }
    this.strategy = { random: this.random, weights, load: (id) => this.loadOf(id) };

    this.unsubscribe = this.store.subscribe((change) => {
      // Another instance's breaker moved: adopt its state, so that the fleet skips a dead provider together.
      if (change.type !== 'breaker' || change.snapshot.writer === this.instanceId) return;
      this.runtimes.get(change.provider)?.circuit.restore(change.snapshot.state);
    });
  }

  /** Listens to one event type; returns the function that stops listening. */
  on<T extends RouterEventType>(type: T, listener: (event: RouterEventOf<T>) => void): () => void {
    return this.events.on(type, listener);
  }

  /** Where the message would go now, and why. No side effects, no provider called. */
  decide(message: Message, options: Omit<RouterSendOptions, 'signal'> = {}): RoutingDecision {
    return this.decideWithRoute(message, options).decision;
  }

  private decideWithRoute(
    message: Message,
    options: Omit<RouterSendOptions, 'signal'>,
  ): { route: CompiledRoute; decision: RoutingDecision } {
    const route = matchRoute(this.routes, message, this.carriers);
    if (route === undefined) {
      throw new RoutingError('MSG_ERR_ROUTING_NO_ROUTE', `no route matches message ${message.id}`);
    }
    const override = options.override;
    if (override?.provider !== undefined) {
      const forced = this.runtimes.get(override.provider);
      if (forced === undefined || forced.provider.channel !== message.channel) {
        throw new ValidationError(
          [
            {
              path: 'override.provider',
              message: forced
                ? `provider "${override.provider}" serves ${forced.provider.channel}, not ${message.channel}`
                : `unknown provider "${override.provider}"`,
            },
          ],
          { subject: 'invalid routing override' },
        );
      }
    }
    const decision = decideOnRoute({
      message,
      route,
      store: this.store,
      strategy: this.strategy,
      override,
      affinity: options.affinity,
    });
    if (route.migration) decision.destination = this.destinationOf(message);
    return { route, decision };
  }

  /**
   * Sends through the decided providers in order until one accepts. Throws a `RoutingError`
   * carrying every attempt when none does, or at once on a failure the route does not fail over on.
   */
  async send(message: Message, options: RouterSendOptions = {}): Promise<RoutedSend> {
    const { route, decision } = this.decideWithRoute(message, options);
    if (decision.migration && this.events.has('rollout-decision')) {
      this.events.emit({
        type: 'rollout-decision',
        messageId: message.id,
        route: route.id,
        migration: decision.migration,
        side: decision.migration.side,
        reason: decision.reason,
      });
    }
    const attempts: Attempt[] = [];
    const skipped: SkippedProvider[] = [];
    if (decision.candidates.length === 0) {
      throw new RoutingError('MSG_ERR_ROUTING_NO_PROVIDER', `no provider available: ${decision.reason}`, {
        decision,
      });
    }

    const callerSignal = options.signal;
    // One controller per message: creating an AbortSignal costs microseconds, so a new one is made
    // only after a timeout aborted the previous one.
    let controller: AbortController | undefined;
    const onCallerAbort = () => controller?.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const aborted = (cause: unknown) =>
      new RoutingError('MSG_ERR_ROUTING_ABORTED', `send of message ${message.id} aborted`, {
        attempts,
        skipped,
        decision,
        cause,
      });

    try {
      if (callerSignal?.aborted) throw aborted(callerSignal.reason);
      for (const providerId of decision.candidates) {
        const runtime = this.runtimes.get(providerId) as ProviderRuntime;
        let trigger: FailoverTrigger | undefined;
        let wasSkipped = false;
        let transientRetries = 0;
        let rateLimitedRetries = 0;
        let rateLimitWaitedMs = 0;
        for (let retry = 0; ; retry++) {
          // A provider that asked for a pause is waited for, within this message's budget; else left.
          const pauseMs = this.pauseOf(runtime, rateLimitWaitedMs);
          if (pauseMs === undefined) {
            if (retry === 0) {
              trigger = 'throttled';
              wasSkipped = true;
              skipped.push({ provider: providerId, reason: 'throttled' });
            }
            break;
          }
          if (pauseMs > 0) {
            try {
              await this.sleep(pauseMs, callerSignal);
            } catch (error) {
              throw aborted(error);
            }
            rateLimitWaitedMs += pauseMs;
          }
          let skip = this.admit(runtime);
          if (skip !== undefined && typeof skip !== 'string') skip = await skip;
          if (skip !== undefined) {
            // A retry refused (the breaker opened under our own failures) leaves with the failure's trigger.
            if (retry === 0) {
              trigger = skip;
              wasSkipped = true;
              skipped.push({ provider: providerId, reason: skip });
            }
            break;
          }
          if (controller === undefined || controller.signal.aborted) {
            controller = new AbortController();
            if (callerSignal?.aborted) controller.abort(callerSignal.reason);
          }
          const outcome = await this.attempt(runtime, message, controller, attempts.length + 1, retry);
          if (outcome === 'breaker-open') {
            if (retry === 0) {
              trigger = 'breaker-open';
              wasSkipped = true;
              skipped.push({ provider: providerId, reason: 'breaker-open' });
            }
            break;
          }
          const attempt = outcome.attempt;
          const previous = attempts.at(-1);
          if (previous?.errorKind === 'ambiguous') previous.possibleDuplicate = true;
          attempts.push(attempt);
          if (attempt.outcome === 'succeeded') {
            if (this.events.has('attempt-succeeded')) {
              this.events.emit({
                type: 'attempt-succeeded',
                messageId: message.id,
                provider: providerId,
                attempt,
              });
            }
            return {
              result: outcome.result as SendResult,
              provider: providerId,
              attempts,
              skipped,
              decision,
              possibleDuplicate: attempts.some((item) => item.possibleDuplicate),
            };
          }
          if (callerSignal?.aborted) throw aborted(callerSignal.reason);
          trigger = attempt.trigger;
          const error = attempt.error as ProviderError;
          let retryInMs: number | undefined;
          if (error.kind === 'rate-limited') {
            this.pause(runtime, error, rateLimitedRetries++);
            // A retry-after is waited out within the message's budget; a bare rate limit is an
            // ordinary retry, out of `maxRetries`.
            const ordinary = !error.retryAfterMs;
            retryInMs =
              ordinary && transientRetries++ >= runtime.policy.retry.maxRetries
                ? undefined
                : this.pauseOf(runtime, rateLimitWaitedMs);
          } else {
            retryInMs = this.retryDelay(runtime.policy, transientRetries++, error);
          }
          if (this.events.has('attempt-failed')) {
            this.events.emit({
              type: 'attempt-failed',
              messageId: message.id,
              provider: providerId,
              attempt,
              retryInMs,
            });
          }
          if (retryInMs === undefined) break;
          // A rate-limited retry waits at the top of the loop, for the pause as it stands then.
          if (error.kind === 'rate-limited') continue;
          try {
            await this.sleep(retryInMs, callerSignal);
          } catch (caught) {
            throw aborted(caught);
          }
        }
        const failover = trigger !== undefined && route.failoverOn.has(trigger);
        if (!failover) {
          const last = attempts.at(-1);
          throw new RoutingError(
            'MSG_ERR_ROUTING_FAILED',
            `message ${message.id} failed on ${providerId} (${trigger}), which route "${route.id}" does not fail over on: ${last?.error?.message ?? trigger}`,
            { attempts, skipped, decision, cause: last?.error },
          );
        }
        if (this.events.has('failover')) {
          this.events.emit({
            type: 'failover',
            messageId: message.id,
            from: providerId,
            trigger: trigger as FailoverTrigger,
            skipped: wasSkipped,
          });
        }
      }
      const summary = [
        ...attempts.map((attempt) => `${attempt.provider}: ${attempt.trigger}`),
        ...skipped.map((skip) => `${skip.provider}: ${skip.reason}`),
      ].join(', ');
      throw new RoutingError(
        'MSG_ERR_ROUTING_EXHAUSTED',
        `every provider failed for message ${message.id} (${summary})`,
        {
          attempts,
          skipped,
          decision,
          cause: attempts.at(-1)?.error,
        },
      );
    } finally {
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /**
   * Sets a migration's share of traffic on its `to` side, effective on the next message. A
   * percentage is a gradual rollout: from `off`, `shadow` or `complete` the mode becomes `gradual`.
   * A rolled-back migration refuses it until resumed.
   */
  async setRolloutPercentage(migrationId: string, percentage: number): Promise<void> {
    this.migrationById(migrationId);
    if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) {
      throw new ValidationError([
        { path: 'percentage', message: `must be an integer from 0 to 100, got ${String(percentage)}` },
      ]);
    }
    const current = this.migrationState(migrationId);
    this.checkTransition(current.mode, 'gradual');
    await this.store.setMigration(migrationId, { mode: 'gradual', percentage });
  }

  /** Moves a migration to another mode (`rolled-back` is `emergencyStop`), refusing a move the mode machine forbids. */
  async setMigrationMode(migrationId: string, mode: Exclude<MigrationMode, 'rolled-back'>): Promise<void> {
    this.migrationById(migrationId);
    if (!MIGRATION_MODES.includes(mode) || mode === ('rolled-back' as MigrationMode)) {
      throw new ValidationError([
        {
          path: 'mode',
          message: `must be one of off, shadow, gradual, complete, got ${JSON.stringify(mode)}`,
        },
      ]);
    }
    this.checkTransition(this.migrationState(migrationId).mode, mode);
    await this.store.setMigration(migrationId, { mode });
  }

  /**
   * The emergency stop: all of a migration's traffic to `from` on the next message, above VIPs and
   * per-message overrides, never `to`, not even on failover. The mode and percentage in force are
   * kept for `resumeMigration`.
   */
  async emergencyStop(migrationId: string): Promise<void> {
    this.migrationById(migrationId);
    const current = this.migrationState(migrationId);
    if (current.mode === 'rolled-back') return;
    await this.store.setMigration(migrationId, {
      mode: 'rolled-back',
      resume: { mode: current.mode, percentage: current.percentage },
    });
  }

  /** Lifts an emergency stop: the mode and percentage in force before it apply again. */
  async resumeMigration(migrationId: string): Promise<void> {
    this.migrationById(migrationId);
    const state = this.store.getMigration(migrationId);
    if (state?.mode !== 'rolled-back') {
      throw new ValidationError([{ path: 'mode', message: `migration ${migrationId} is not rolled back` }], {
        code: 'MSG_ERR_MIGRATION_TRANSITION',
      });
    }
    const resume = state.resume ?? {
      mode: this.migrationById(migrationId).migration?.mode ?? 'gradual',
      percentage: state.percentage ?? 0,
    };
    await this.store.setMigration(migrationId, {
      mode: resume.mode,
      percentage: resume.percentage,
      resume: undefined,
    });
  }

  /** The mode and percentage in force for a migration: the state store's, else the config's. */
  migrationState(migrationId: string): { mode: MigrationMode; percentage: number } {
    const compiled = this.migrationById(migrationId).migration as CompiledMigration;
    const state = this.store.getMigration(migrationId);
    return { mode: state?.mode ?? compiled.mode, percentage: state?.percentage ?? compiled.percentage };
  }

  private checkTransition(current: MigrationMode, next: MigrationMode): void {
    const problem = modeTransitionError(current, next);
    if (problem)
      throw new ValidationError([{ path: 'mode', message: problem }], {
        code: 'MSG_ERR_MIGRATION_TRANSITION',
      });
  }

  /** Takes a provider out of every route (and refuses overrides to it) until resumed. */
  async haltProvider(providerId: string): Promise<void> {
    this.runtimeById(providerId);
    await this.store.setHalted(providerId, true);
  }

  async resumeProvider(providerId: string): Promise<void> {
    this.runtimeById(providerId);
    await this.store.setHalted(providerId, false);
  }

  /** Closes a provider's breaker by hand, e.g. after fixing its credentials. */
  async resetBreaker(providerId: string): Promise<void> {
    const runtime = this.runtimeById(providerId);
    runtime.circuit.restore(undefined);
    this.onBreakerChange(providerId, 'closed');
  }

  status(): RouterStatus {
    const now = this.now();
    const providers = [...this.runtimes.entries()].map(([id, runtime]) => ({
      id,
      channel: runtime.provider.channel,
      breaker: runtime.circuit.state,
      halted: this.store.isHalted(id),
      inFlight: runtime.inFlight,
      health: runtime.health.snapshot(now),
    }));
    const migrations: MigrationStatus[] = [];
    for (const route of this.routes) {
      const migration = route.migration;
      if (!migration) continue;
      const state = this.store.getMigration(migration.id);
      migrations.push({
        id: migration.id,
        route: route.id,
        from: migration.from,
        to: migration.to,
        mode: state?.mode ?? migration.mode,
        percentage: state?.percentage ?? migration.percentage,
        emergencyStop: state?.mode === 'rolled-back',
        crossSideFailover: migration.crossSideFailover,
      });
    }
    const routes = this.routes.map((route) => ({
      id: route.id,
      strategy: route.strategy,
      providers: CHANNELS.flatMap((channel) =>
        scoreProviders(route.providers[channel], this.strategy).map((score) => ({
          id: score.provider,
          channel,
          score: score.score,
        })),
      ),
    }));
    return { providers, migrations, routes };
  }

  /** Stops listening to the state store. Providers are the caller's to close. */
  close(): void {
    this.unsubscribe();
  }

  /** Whether the provider may be called now; a reason to skip it otherwise. */
  private admit(runtime: ProviderRuntime): SkipReason | undefined | Promise<SkipReason | undefined> {
    if (!runtime.circuit.canCall()) return 'breaker-open';
    const { maxInFlight, rateLimit } = runtime.policy;
    if (maxInFlight !== undefined && runtime.inFlight >= maxInFlight) return 'bulkhead-full';
    if (rateLimit === undefined) return undefined;
    const taken = this.store.takeToken(runtime.rateKey, rateLimit, this.now());
    if (taken === true) return undefined;
    if (taken === false) return 'throttled';
    return taken.then((ok) => (ok ? undefined : 'throttled'));
  }

  /** One call through the provider's breaker and timeout; `breaker-open` if the breaker refused it. */
  private async attempt(
    runtime: ProviderRuntime,
    message: Message,
    controller: AbortController,
    number: number,
    retry: number,
  ): Promise<{ attempt: Attempt; result?: SendResult } | 'breaker-open'> {
    const provider = runtime.provider;
    const startedAt = this.now();
    if (this.events.has('attempt-started')) {
      this.events.emit({
        type: 'attempt-started',
        messageId: message.id,
        provider: provider.id,
        number,
        retry,
        at: startedAt,
      });
    }
    runtime.inFlight++;
    try {
      const result = await runtime.circuit.execute(() => this.callWithTimeout(runtime, message, controller));
      const endedAt = this.now();
      runtime.health.record(endedAt, true, endedAt - startedAt);
      const attempt: Attempt = {
        provider: provider.id,
        number,
        retry,
        startedAt,
        endedAt,
        latencyMs: endedAt - startedAt,
        outcome: 'succeeded',
        providerMessageId: result.providerMessageId,
        possibleDuplicate: false,
      };
      return { attempt, result };
    } catch (caught) {
      // Another message's failure opened the breaker between our admission check and the call.
      if ((caught as { isBrokenCircuitError?: boolean } | undefined)?.isBrokenCircuitError)
        return 'breaker-open';
      const error = networkError(caught, provider.id, controller.signal);
      const endedAt = this.now();
      // A permanent error is the message's fault: the provider answered, and is healthy. A plugin
      // exception never reached the provider, so it says nothing about its health or latency.
      if (error.providerCode !== PLUGIN_EXCEPTION_CODE) {
        runtime.health.record(endedAt, error.kind === 'permanent', endedAt - startedAt);
      }
      const attempt: Attempt = {
        provider: provider.id,
        number,
        retry,
        startedAt,
        endedAt,
        latencyMs: endedAt - startedAt,
        outcome: 'failed',
        errorKind: error.kind,
        trigger: error.providerCode === TIMEOUT_ERROR_CODE ? 'timeout' : error.kind,
        errorCode: error.providerCode ?? error.code,
        error,
        possibleDuplicate: false,
      };
      return { attempt };
    } finally {
      runtime.inFlight--;
    }
  }

  private callWithTimeout(
    runtime: ProviderRuntime,
    message: Message,
    controller: AbortController,
  ): Promise<SendResult> {
    const { provider, policy } = runtime;
    return new Promise<SendResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new ProviderError({
          kind: 'ambiguous',
          provider: provider.id,
          providerCode: TIMEOUT_ERROR_CODE,
          message: `no answer within ${policy.timeoutMs} ms; it may have been delivered`,
        });
        controller.abort(error);
        reject(error);
      }, policy.timeoutMs);
      try {
        (provider as Provider<Channel>).send(message as never, { signal: controller.signal }).then(
          (result) => {
            clearTimeout(timer);
            resolve(result);
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(networkError(error, provider.id, controller.signal));
          },
        );
      } catch (error) {
        // A provider that throws before returning a promise never sent anything.
        clearTimeout(timer);
        reject(pluginException(error, provider.id));
      }
    });
  }

  /**
   * Delay before retrying the same provider after a `transient` error, or undefined to move on:
   * up to `maxRetries`, exponential backoff with equal jitter. Other kinds are not retried here
   * (`rate-limited` waits out the provider's pause instead).
   */
  private retryDelay(
    policy: ResolvedProviderPolicy,
    retry: number,
    error: ProviderError,
  ): number | undefined {
    if (error.kind !== 'transient' || retry >= policy.retry.maxRetries) return undefined;
    return this.backoff(policy, retry);
  }

  private backoff(policy: ResolvedProviderPolicy, retry: number): number {
    const step = Math.min(policy.retry.maxDelayMs, policy.retry.initialDelayMs * 2 ** retry);
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  /**
   * Pauses the provider for every message after a rate-limited answer: for its retry-after, and at
   * least an exponential backoff. The pause only grows: a shorter answer never ends it early.
   */
  private pause(runtime: ProviderRuntime, error: ProviderError, rateLimitedRetry: number): void {
    const waitMs = Math.max(error.retryAfterMs ?? 0, this.backoff(runtime.policy, rateLimitedRetry));
    runtime.pausedUntil = Math.max(runtime.pausedUntil, this.now() + waitMs);
  }

  /**
   * How long a message must wait for the provider's pause: 0 when there is none, undefined when
   * what is left of it is longer than `maxDelayMs` or than what is left of the message's
   * `rateLimitWaitMs` (then it moves on to the next provider).
   */
  private pauseOf(runtime: ProviderRuntime, waitedMs: number): number | undefined {
    if (runtime.pausedUntil === 0) return 0;
    const remaining = runtime.pausedUntil - this.now();
    if (remaining <= 0) return 0;
    const { maxDelayMs, rateLimitWaitMs } = runtime.policy.retry;
    return remaining > maxDelayMs || waitedMs + remaining > rateLimitWaitMs ? undefined : remaining;
  }

  private onBreakerChange(providerId: string, state: BreakerState): void {
    const type =
      state === 'open' ? 'breaker-opened' : state === 'half-open' ? 'breaker-half-open' : 'breaker-closed';
    if (this.events.has(type)) this.events.emit({ type, provider: providerId, at: this.now() });
    const runtime = this.runtimes.get(providerId);
    if (!runtime) return;
    this.storeWrite('setBreaker', () =>
      this.store.setBreaker(providerId, {
        state: runtime.circuit.toJSON(),
        writer: this.instanceId,
        updatedAt: this.now(),
      }),
    );
  }

  /** Store writes off the hot path must not fail a message; their errors become events. */
  private storeWrite(operation: string, write: () => void | Promise<void>): void {
    const report = (error: unknown) => {
      const event: RouterEvent = { type: 'state-store-error', operation, error };
      this.events.emit(event);
    };
    try {
      const pending = write();
      if (pending) pending.catch(report);
    } catch (error) {
      report(error);
    }
  }

  private loadOf(providerId: string): ProviderLoad {
    const runtime = this.runtimes.get(providerId) as ProviderRuntime;
    const health = runtime.health.snapshot(this.now());
    return {
      successRate: health.successRate,
      meanLatencyMs: health.meanLatencyMs,
      inFlight: runtime.inFlight,
      maxInFlight: runtime.policy.maxInFlight,
    };
  }

  private destinationOf(message: Message): string | undefined {
    if (message.channel === 'email') return message.to[0]?.email.split('@')[1]?.toLowerCase();
    return this.carriers.carrierOf(message.to) ?? phoneNumberCountry(message.to);
  }

  private runtimeById(providerId: string): ProviderRuntime {
    const runtime = this.runtimes.get(providerId);
    if (!runtime)
      throw new ValidationError([{ path: 'provider', message: `unknown provider "${providerId}"` }]);
    return runtime;
  }

  private migrationById(migrationId: string): CompiledRoute {
    for (const route of this.routes) if (route.migration?.id === migrationId) return route;
    throw new ValidationError([{ path: 'migration', message: `unknown migration "${migrationId}"` }]);
  }
}
