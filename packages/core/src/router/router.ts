import { setMaxListeners } from 'node:events';
import { ProviderError, ValidationError } from '../errors.js';
import { CHANNELS, type Channel, type Message } from '../message.js';
import {
  type CrossSideFailover,
  MIGRATION_MODES,
  type MigrationMode,
  modeTransitionError,
} from '../migration/mode.js';
import { phoneNumberCountry } from '../phone.js';
import type { BatchItemResult, Provider, SendResult } from '../provider.js';
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
  /**
   * Whether a provider's spend this calendar month reached the host's limit for it: such a
   * provider is left out of every decision (reason `spend-limit`), as a halted one is.
   */
  overSpendLimit?: (providerId: string) => boolean;
  /** `least-cost` routes: what a message costs through a provider (any unit), undefined when unknown. */
  price?: (providerId: string, message: Message) => number | undefined;
  /** `least-cost` routes: a provider's recent delivered rate (0-1) from receipts, undefined without any. */
  deliveredRate?: (providerId: string) => number | undefined;
}

export interface RouterSendOptions {
  signal?: AbortSignal | undefined;
  override?: RoutingOverride | undefined;
  /** The provider earlier parts or tries of this message went to: it goes first unless it fails. */
  affinity?: string | undefined;
  /**
   * A call this message already had outside `send` (its request in a `sendBatch`), and why it
   * failed: on a route that fails over on that reason, the provider counts as left once, so the
   * next candidate goes first and it is called again only when no other is left (with
   * `retries: 'before-failover'` it is retried first, as after any failure).
   */
  tried?: { provider: string; trigger: FailoverTrigger } | undefined;
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

/** One message's outcome in `Router.sendBatch`. */
export type BatchSendOutcome =
  | {
      messageId: string;
      ok: true;
      routed: RoutedSend;
      /** The bulk request it went out in: the provider's id for it, else one the router made. */
      bulkId: string;
    }
  | {
      messageId: string;
      ok: false;
      /** Carries the batch attempt when the provider was called. */
      error: RoutingError;
      /**
       * Not settled by the batch: never sent in one (no batch API, throttled, breaker open), or it
       * failed for a reason its route retries or fails over on. Send it on its own with `send`,
       * which follows the route's order and retries; its batch attempt counts as the first.
       */
      single: boolean;
      bulkId?: string | undefined;
    };

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

/** One message's send, as every turn on a provider shares it. */
interface SendContext {
  message: Message;
  route: CompiledRoute;
  attempts: Attempt[];
  skipped: SkippedProvider[];
  callerSignal: AbortSignal | undefined;
  /**
   * One controller per message: creating an AbortSignal costs microseconds, so a new one is made
   * only after a timeout aborted the previous one.
   */
  controller: AbortController | undefined;
  aborted: (cause: unknown) => RoutingError;
}

/** A message's calls to one provider: what they used of its retry budgets, and when it may be called again. */
interface ProviderTurn {
  id: string;
  runtime: ProviderRuntime;
  calls: number;
  transientRetries: number;
  rateLimitedRetries: number;
  rateLimitWaitedMs: number;
  /** Why the router left it last. */
  trigger: FailoverTrigger | undefined;
  /** It was left without a call (open breaker, full bulkhead, throttled). */
  skipped: boolean;
  /** When it may be called again (after a backoff, or its pause); undefined: not for this message. */
  retryAt: number | undefined;
  /** `retryAt` is the end of a rate-limit pause, waited within the message's `rateLimitWaitMs`. */
  waitsForPause: boolean;
}

function newTurn(id: string, runtime: ProviderRuntime): ProviderTurn {
  return {
    id,
    runtime,
    calls: 0,
    transientRetries: 0,
    rateLimitedRetries: 0,
    rateLimitWaitedMs: 0,
    trigger: undefined,
    skipped: false,
    retryAt: undefined,
    waitsForPause: false,
  };
}

/** Removes and returns the turn that may be called soonest; the route's order breaks ties. */
function takeSoonest(turns: ProviderTurn[]): ProviderTurn {
  let soonest = 0;
  for (let index = 1; index < turns.length; index++) {
    if ((turns[index]?.retryAt as number) < (turns[soonest]?.retryAt as number)) soonest = index;
  }
  return turns.splice(soonest, 1)[0] as ProviderTurn;
}

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
  private readonly overSpendLimit: ((providerId: string) => boolean) | undefined;
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
    this.overSpendLimit = options.overSpendLimit;
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
    this.strategy = {
      random: this.random,
      weights,
      load: (id) => this.loadOf(id),
      price: options.price,
      deliveredRate: options.deliveredRate,
      breakerClosed: (id) => this.runtimes.get(id)?.circuit.state === 'closed',
    };

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
    const override = options.override;
    const route =
      override?.route === undefined
        ? matchRoute(this.routes, message, this.carriers)
        : this.namedRoute(override.route, message.channel);
    if (route === undefined) {
      throw new RoutingError('MSG_ERR_ROUTING_NO_ROUTE', `no route matches message ${message.id}`);
    }
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
      overSpendLimit: this.overSpendLimit,
    });
    if (route.migration) decision.destination = this.destinationOf(message);
    return { route, decision };
  }

  /** The route an override names; a `ValidationError` when there is none or it cannot carry the channel. */
  private namedRoute(id: string, channel: Channel): CompiledRoute {
    const route = this.routes.find((candidate) => candidate.id === id);
    const problem =
      route === undefined
        ? `unknown route "${id}" (routes: ${this.routes.map((candidate) => candidate.id).join(', ')})`
        : route.providers[channel].length === 0
          ? `route "${id}" has no provider that serves ${channel}`
          : undefined;
    if (problem !== undefined) {
      throw new ValidationError([{ path: 'override.route', message: problem }], {
        subject: 'invalid routing override',
      });
    }
    return route as CompiledRoute;
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
    const aborted = (cause: unknown) =>
      new RoutingError('MSG_ERR_ROUTING_ABORTED', `send of message ${message.id} aborted`, {
        attempts,
        skipped,
        decision,
        cause,
      });

    const context: SendContext = {
      message,
      route,
      attempts,
      skipped,
      callerSignal,
      controller: undefined,
      aborted,
    };
    const onCallerAbort = () => context.controller?.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const routed = (turn: ProviderTurn, result: SendResult): RoutedSend => ({
      result,
      provider: turn.id,
      attempts,
      skipped,
      decision,
      possibleDuplicate: attempts.some((item) => item.possibleDuplicate),
    });
    const leave = (turn: ProviderTurn): void => {
      const trigger = turn.trigger;
      if (trigger === undefined || !route.failoverOn.has(trigger)) {
        const last = attempts.at(-1);
        throw new RoutingError(
          'MSG_ERR_ROUTING_FAILED',
          `message ${message.id} failed on ${turn.id} (${trigger}), which route "${route.id}" does not fail over on: ${last?.error?.message ?? trigger}`,
          { attempts, skipped, decision, cause: last?.error },
        );
      }
      if (this.events.has('failover')) {
        this.events.emit({
          type: 'failover',
          messageId: message.id,
          from: turn.id,
          trigger,
          skipped: turn.skipped,
        });
      }
    };

    try {
      if (callerSignal?.aborted) throw aborted(callerSignal.reason);
      const waitFirst = route.retryBeforeFailover;
      // Providers that failed for a reason that may pass: tried again only once every other
      // candidate has failed too, so a failure costs no waiting while another provider can take it.
      const later: ProviderTurn[] = [];
      const tried = options.tried;
      for (const providerId of decision.candidates) {
        const turn = newTurn(providerId, this.runtimes.get(providerId) as ProviderRuntime);
        if (tried?.provider === providerId && !waitFirst && route.failoverOn.has(tried.trigger)) {
          // Left once already: tried again after the others, as a failure that may pass is.
          turn.calls = 1;
          turn.trigger = tried.trigger;
          turn.skipped = false;
          const { policy } = turn.runtime;
          if (tried.trigger === 'transient' && policy.retry.maxRetries > 0) {
            turn.transientRetries = 1;
            turn.retryAt = this.now() + this.backoff(policy, 0);
          } else if (tried.trigger === 'rate-limited') {
            turn.retryAt = Math.max(this.now(), turn.runtime.pausedUntil);
            turn.waitsForPause = true;
          }
          if (turn.retryAt !== undefined) later.push(turn);
          continue;
        }
        const result = await this.runTurn(context, turn, {
          waitForPause: waitFirst,
          retryInPlace: waitFirst,
        });
        if (result) return routed(turn, result);
        leave(turn);
        if (turn.retryAt !== undefined) later.push(turn);
      }
      while (later.length > 0) {
        const turn = takeSoonest(later);
        const waitMs = turn.waitsForPause ? 0 : (turn.retryAt as number) - this.now();
        if (waitMs > 0) {
          try {
            await this.sleep(waitMs, callerSignal);
          } catch (error) {
            throw aborted(error);
          }
        }
        // The last one left retries in place as its policy allows; with others left, one call each in turn.
        const result = await this.runTurn(context, turn, {
          waitForPause: true,
          retryInPlace: later.length === 0,
        });
        if (result) return routed(turn, result);
        leave(turn);
        if (turn.retryAt !== undefined) later.push(turn);
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
   * Sends messages through their first provider's bulk API (`sendBatch`), in requests of at most
   * `maxBatchSize` (and the provider's own maximum), with one outcome per message: the batch may
   * partly succeed. Each message is decided as `send` decides it (route, sticky rollout,
   * override); messages whose first choice has no batch API, an open breaker, or no rate-limit
   * token left come back `single` without a call, as do those that failed for a reason their
   * route retries or fails over on; the caller sends those with `send`. A permanent failure, or
   * one the route does not fail over on, is final.
   */
  async sendBatch(
    messages: readonly Message[],
    options: {
      signal?: AbortSignal | undefined;
      override?: RoutingOverride | undefined;
      maxBatchSize?: number;
    } = {},
  ): Promise<BatchSendOutcome[]> {
    const outcomes = new Map<string, BatchSendOutcome>();
    const single = (message: Message, error: RoutingError) =>
      outcomes.set(message.id, { messageId: message.id, ok: false, error, single: true });
    const groups = new Map<
      string,
      Array<{ message: Message; route: CompiledRoute; decision: RoutingDecision }>
    >();
    for (const message of messages) {
      let decided: { route: CompiledRoute; decision: RoutingDecision };
      try {
        decided = this.decideWithRoute(message, { override: options.override });
      } catch (error) {
        single(
          message,
          new RoutingError('MSG_ERR_ROUTING_NO_ROUTE', (error as Error).message, { cause: error }),
        );
        continue;
      }
      const first = decided.decision.candidates[0];
      if (first === undefined) {
        single(
          message,
          new RoutingError(
            'MSG_ERR_ROUTING_NO_PROVIDER',
            `no provider available: ${decided.decision.reason}`,
          ),
        );
        continue;
      }
      const group = groups.get(first);
      if (group) group.push({ message, ...decided });
      else groups.set(first, [{ message, ...decided }]);
    }
    const calls: Promise<void>[] = [];
    for (const [providerId, group] of groups) {
      const runtime = this.runtimes.get(providerId) as ProviderRuntime;
      const provider = runtime.provider as Provider<Channel>;
      const size = Math.min(
        options.maxBatchSize ?? Number.POSITIVE_INFINITY,
        provider.capabilities.maxBatchSize,
      );
      const notBatched = (reason: string) => {
        for (const item of group) {
          single(
            item.message,
            new RoutingError('MSG_ERR_ROUTING_NO_PROVIDER', `not sent in a batch: ${reason}`, {
              decision: item.decision,
            }),
          );
        }
      };
      if (typeof provider.sendBatch !== 'function' || size < 2) {
        notBatched(`${providerId} has no batch API`);
        continue;
      }
      if (!runtime.circuit.canCall()) {
        notBatched(`${providerId}'s breaker is open`);
        continue;
      }
      // One token per message: those over the provider's rate go on their own (and wait or fail over there).
      let admitted = group;
      const { rateLimit } = runtime.policy;
      if (rateLimit !== undefined) {
        admitted = [];
        for (const item of group) {
          const taken = await this.store.takeToken(runtime.rateKey, rateLimit, this.now());
          if (taken) admitted.push(item);
          else
            single(
              item.message,
              new RoutingError(
                'MSG_ERR_ROUTING_NO_PROVIDER',
                `not sent in a batch: ${providerId} throttled`,
                { decision: item.decision },
              ),
            );
        }
      }
      for (let start = 0; start < admitted.length; start += size) {
        calls.push(this.sendChunk(runtime, admitted.slice(start, start + size), outcomes, options.signal));
      }
    }
    await Promise.all(calls);
    return messages.map((message) => outcomes.get(message.id) as BatchSendOutcome);
  }

  private async sendChunk(
    runtime: ProviderRuntime,
    chunk: ReadonlyArray<{ message: Message; route: CompiledRoute; decision: RoutingDecision }>,
    outcomes: Map<string, BatchSendOutcome>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const provider = runtime.provider as Provider<Channel>;
    const controller = new AbortController();
    // One bulk call may make many requests on this signal (one per distinct text): not a leak.
    setMaxListeners(0, controller.signal);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const startedAt = this.now();
    const generatedBulkId = `bulk_${startedAt.toString(36)}_${Math.floor(this.random() * 2 ** 48).toString(36)}`;
    let results: BatchItemResult[] | undefined;
    let failure: ProviderError | undefined;
    runtime.inFlight += chunk.length;
    try {
      results = await runtime.circuit.execute(() =>
        this.callWithTimeout(runtime, controller, 'a batch', () =>
          (provider.sendBatch as NonNullable<Provider<Channel>['sendBatch']>)(
            chunk.map((item) => item.message) as never,
            { signal: controller.signal },
          ),
        ),
      );
    } catch (caught) {
      failure = (caught as { isBrokenCircuitError?: boolean } | undefined)?.isBrokenCircuitError
        ? new ProviderError({
            kind: 'transient',
            provider: provider.id,
            message: 'breaker opened before the batch',
          })
        : networkError(caught, provider.id, controller.signal);
    } finally {
      runtime.inFlight -= chunk.length;
      signal?.removeEventListener('abort', onAbort);
    }
    const endedAt = this.now();
    const byId = new Map((results ?? []).map((result) => [result.messageId, result]));
    for (const item of chunk) {
      const result = byId.get(item.message.id);
      const attempt: Attempt = {
        provider: provider.id,
        number: 1,
        retry: 0,
        startedAt,
        endedAt,
        latencyMs: endedAt - startedAt,
        outcome: result?.ok ? 'succeeded' : 'failed',
        possibleDuplicate: false,
      };
      if (result?.ok) {
        runtime.health.record(endedAt, true, endedAt - startedAt);
        attempt.providerMessageId = result.result.providerMessageId;
        const details = result.result.details;
        outcomes.set(item.message.id, {
          messageId: item.message.id,
          ok: true,
          bulkId: details?.bulkId ?? details?.bulkReference ?? generatedBulkId,
          routed: {
            result: result.result,
            provider: provider.id,
            attempts: [attempt],
            skipped: [],
            decision: item.decision,
            possibleDuplicate: false,
          },
        });
        continue;
      }
      // A message the answer does not list may have been sent: ambiguous.
      const error =
        failure ??
        (result && !result.ok
          ? result.error
          : new ProviderError({
              kind: 'ambiguous',
              provider: provider.id,
              message: 'the batch answer does not list this message',
            }));
      if (error.providerCode !== PLUGIN_EXCEPTION_CODE) {
        runtime.health.record(endedAt, error.kind === 'permanent', endedAt - startedAt);
      }
      const trigger: FailoverTrigger = error.providerCode === TIMEOUT_ERROR_CODE ? 'timeout' : error.kind;
      Object.assign(attempt, {
        errorKind: error.kind,
        trigger,
        errorCode: error.providerCode ?? error.code,
        error,
      });
      const again =
        item.route.failoverOn.has(trigger) ||
        (error.kind === 'transient' && runtime.policy.retry.maxRetries > 0) ||
        error.kind === 'rate-limited';
      if (error.kind === 'rate-limited') this.pause(runtime, error, 0);
      outcomes.set(item.message.id, {
        messageId: item.message.id,
        ok: false,
        single: again && error.kind !== 'permanent',
        bulkId: generatedBulkId,
        error: new RoutingError(
          'MSG_ERR_ROUTING_FAILED',
          `message ${item.message.id} failed in a batch on ${provider.id} (${trigger}): ${error.message}`,
          {
            attempts: [attempt],
            decision: item.decision,
            cause: error,
          },
        ),
      });
    }
  }

  /**
   * Calls one provider for a message, and again while its policy allows and the caller lets it
   * wait here (`retryInPlace`, `waitForPause`); otherwise it leaves at the first failure with
   * `turn.retryAt` saying whether and when it may be called again. Returns the result of the call
   * that succeeded, or undefined with `turn.trigger` saying why it left.
   */
  private async runTurn(
    context: SendContext,
    turn: ProviderTurn,
    waits: { waitForPause: boolean; retryInPlace: boolean },
  ): Promise<SendResult | undefined> {
    const { runtime } = turn;
    const { route, attempts, callerSignal } = context;
    const leaveSkipped = (reason: SkipReason, retryAt?: number) => {
      // A retry refused (the breaker opened under our own failures) leaves with the failure's trigger.
      if (turn.calls === 0) {
        turn.trigger = reason;
        turn.skipped = true;
        if (!context.skipped.some((skip) => skip.provider === turn.id)) {
          context.skipped.push({ provider: turn.id, reason });
        }
      }
      turn.retryAt = retryAt;
      turn.waitsForPause = retryAt !== undefined;
      return undefined;
    };
    for (;;) {
      // A provider that asked for a pause is waited for, within this message's budget; else left.
      const pauseMs = this.pauseOf(runtime, turn.rateLimitWaitedMs);
      if (pauseMs === undefined) return leaveSkipped('throttled');
      if (pauseMs > 0) {
        if (!waits.waitForPause && route.failoverOn.has('throttled')) {
          return leaveSkipped('throttled', runtime.pausedUntil);
        }
        try {
          await this.sleep(pauseMs, callerSignal);
        } catch (error) {
          throw context.aborted(error);
        }
        turn.rateLimitWaitedMs += pauseMs;
      }
      let skip = this.admit(runtime);
      if (skip !== undefined && typeof skip !== 'string') skip = await skip;
      if (skip !== undefined) return leaveSkipped(skip);
      if (context.controller === undefined || context.controller.signal.aborted) {
        context.controller = new AbortController();
        if (callerSignal?.aborted) context.controller.abort(callerSignal.reason);
      }
      const outcome = await this.attempt(
        runtime,
        context.message,
        context.controller,
        attempts.length + 1,
        turn.calls,
      );
      if (outcome === 'breaker-open') return leaveSkipped('breaker-open');
      turn.calls++;
      const attempt = outcome.attempt;
      const previous = attempts.at(-1);
      if (previous?.errorKind === 'ambiguous') previous.possibleDuplicate = true;
      attempts.push(attempt);
      if (attempt.outcome === 'succeeded') {
        if (this.events.has('attempt-succeeded')) {
          this.events.emit({
            type: 'attempt-succeeded',
            messageId: context.message.id,
            provider: turn.id,
            attempt,
          });
        }
        return outcome.result as SendResult;
      }
      if (callerSignal?.aborted) throw context.aborted(callerSignal.reason);
      turn.trigger = attempt.trigger;
      turn.skipped = false;
      const error = attempt.error as ProviderError;
      let retryInMs: number | undefined;
      const rateLimited = error.kind === 'rate-limited';
      if (rateLimited) {
        this.pause(runtime, error, turn.rateLimitedRetries++);
        // A retry-after is waited out within the message's budget; a bare rate limit is an
        // ordinary retry, out of `maxRetries`.
        const ordinary = !error.retryAfterMs;
        retryInMs =
          ordinary && turn.transientRetries++ >= runtime.policy.retry.maxRetries
            ? undefined
            : this.pauseOf(runtime, turn.rateLimitWaitedMs);
      } else {
        retryInMs = this.retryDelay(runtime.policy, turn.transientRetries++, error);
      }
      // Where the route cannot fail over on this failure, no other provider may take the message.
      const inPlace =
        retryInMs !== undefined &&
        (waits.retryInPlace || !route.failoverOn.has(attempt.trigger as FailoverTrigger));
      if (this.events.has('attempt-failed')) {
        this.events.emit({
          type: 'attempt-failed',
          messageId: context.message.id,
          provider: turn.id,
          attempt,
          retryInMs: inPlace ? retryInMs : undefined,
        });
      }
      if (!inPlace) {
        turn.retryAt = retryInMs === undefined ? undefined : this.now() + retryInMs;
        turn.waitsForPause = rateLimited;
        return undefined;
      }
      // A rate-limited retry waits at the top of the loop, for the pause as it stands then.
      if (rateLimited) continue;
      try {
        await this.sleep(retryInMs as number, callerSignal);
      } catch (caught) {
        throw context.aborted(caught);
      }
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
      const result = await runtime.circuit.execute(() =>
        this.callWithTimeout(runtime, controller, undefined, () =>
          (provider as Provider<Channel>).send(message as never, { signal: controller.signal }),
        ),
      );
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

  /** One call to the provider within its timeout: past it, the call is aborted and ambiguous. */
  private callWithTimeout<T>(
    runtime: ProviderRuntime,
    controller: AbortController,
    /** What is waited for, in the timeout's message (`a batch`); a send names nothing. */
    what: string | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const { provider, policy } = runtime;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new ProviderError({
          kind: 'ambiguous',
          provider: provider.id,
          providerCode: TIMEOUT_ERROR_CODE,
          message: `no answer${what ? ` to ${what}` : ''} within ${policy.timeoutMs} ms; it may have been delivered`,
        });
        controller.abort(error);
        reject(error);
      }, policy.timeoutMs);
      try {
        call().then(
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
