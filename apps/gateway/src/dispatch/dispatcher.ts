import {
  type Attempt,
  type Logger,
  type RoutedSend,
  type Router,
  RoutingError,
  type RoutingOverride,
} from '@msg/core';
import { statusCallback } from '../callbacks/callback-body.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ReceiptPlan } from '../receipts/receipt-plan.js';
import type { AcceptResult, DispatchOutcome, MessageStore, StoredMessage } from '../store/message-store.js';
import { untilStored } from '../store/until-stored.js';
import { type ConcurrencyBounds, ConcurrencyLimit } from './concurrency-limit.js';
import { DeliveryRate } from './delivery-rate.js';
import { type DispatchRound, dispatchRound, failureOutcome, successOutcome } from './dispatch-outcome.js';
import { mayPass, nextRound, type RetryRoundsConfig } from './retry-rounds.js';
import { SlowAttempts } from './slow-attempts.js';

export interface DispatcherOptions {
  store: MessageStore;
  router: Router;
  logger: Logger;
  metrics: GatewayMetrics;
  now: () => number;
  /** This gateway process, as the store's leases name it. */
  instanceId: string;
  /** Messages at providers at once: fixed (`min === max`), or adapting to provider latency in between. */
  concurrency: ConcurrencyBounds;
  /** Called after an outcome with a status callback was stored (wakes the callback worker). */
  onCallbackQueued?: () => void;
  /** Rounds for messages whose every provider failed for a reason that may pass. */
  retryRounds: RetryRoundsConfig;
  /** The receipt deadline and status look-ups of each send. */
  receipts: ReceiptPlan;
  /** Called after an outcome whose receipt wait is already over was stored (no-receipt providers). */
  onReceiptDue?: () => void;
  /** Called after a successful send, off the send path (shadow validation of a migration's new side). */
  onSent?: (stored: StoredMessage, routed: RoutedSend) => void;
  /** An attempt still in flight this long has its start written (see `SlowAttempts`). */
  slowAttemptMs?: number;
  /** What an accepted send costs (debited with its outcome), and who follows spend once it is stored. */
  costs?: SendCosts;
}

export interface SendCosts {
  /** Micro-units of the credit currency, or undefined when neither the provider nor the price table says. */
  costOf(stored: StoredMessage, routed: RoutedSend): number | undefined;
  /** The outcome with this cost was stored. */
  settled(providerId: string, micros: number): void;
}

const CLAIM_RETRY_MS = 1000;

/** A send's attempts after an earlier call outside it (a bulk request): that call first, the rest renumbered. */
/** A message's or campaign's own routing override (the provider or route it names), if any. */
export function routingOverride(named: {
  provider?: string | undefined;
  route?: string | undefined;
}): RoutingOverride | undefined {
  if (named.provider) return { provider: named.provider };
  if (named.route) return { route: named.route };
  return undefined;
}

function afterPrior(prior: Attempt, attempts: readonly Attempt[]): Attempt[] {
  // Sent again after an ambiguous call: the recipient may get it twice.
  const first =
    prior.errorKind === 'ambiguous' && attempts.length > 0 ? { ...prior, possibleDuplicate: true } : prior;
  return [first, ...attempts.map((attempt) => ({ ...attempt, number: attempt.number + 1 }))];
}

/**
 * Sends messages from the store, which is the queue: nothing holds the ids of queued messages in
 * memory. A message accepted while this dispatcher has a free slot (and nothing older waits) is
 * stored already claimed and handed over at once (`reserve`, `handOver`): one commit before its
 * send. Otherwise it waits in the store, and the dispatcher claims the next batch, oldest first,
 * whenever slots free up and the store says messages were queued (`onQueued`). Each send ends
 * with one commit of its outcome and every attempt, retried until it lands; the slot is free as
 * soon as the send returns. How many messages are at providers at once adapts to their latency
 * (`ConcurrencyLimit`). A crash loses nothing: claimed messages are in flight in the store under
 * this instance's lease, and recovery resolves them.
 */
export class Dispatcher {
  readonly instanceId: string;
  readonly limit: ConcurrencyLimit;
  /** Messages finished per second, for backpressure's Retry-After. */
  readonly deliveryRate: DeliveryRate;
  private active = 0;
  private reserved = 0;
  private persisting = 0;
  private claiming = false;
  /** The store may hold queued messages (unknown at start, so true). */
  private more = true;
  /** Counts wake-ups, so a claim that raced with one does not conclude the store is empty. */
  private wakes = 0;
  private stopping = false;
  private claimRetry: NodeJS.Timeout | undefined;
  private readonly controllers = new Map<string, AbortController>();
  private readonly running = new Set<Promise<void>>();
  private readonly waiters = new Map<string, Array<() => void>>();
  /** Attempts already stored for re-dispatched messages, so new ones continue the sequence. */
  private readonly offsets = new Map<string, number>();
  /** Ends the wait for a store that cannot be written, when shutdown stops waiting for sends. */
  private readonly shutdown = new AbortController();
  private readonly slowAttempts: SlowAttempts;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: DispatcherOptions) {
    this.instanceId = options.instanceId;
    this.limit = new ConcurrencyLimit(options.concurrency);
    this.deliveryRate = new DeliveryRate(options.now);
    this.slowAttempts = new SlowAttempts({
      store: options.store,
      router: options.router,
      logger: options.logger,
      now: options.now,
      afterMs: options.slowAttemptMs ?? 1000,
      offset: (messageId) => this.offsets.get(messageId) ?? 0,
    });
    this.unsubscribe = options.store.onQueued(() => this.wake());
  }

  /** Messages at providers (or having their outcome written), and the limit in force. */
  get depth(): { inFlight: number; limit: number } {
    return { inFlight: this.active + this.reserved + this.persisting, limit: this.limit.current };
  }

  /**
   * A slot for a message being accepted, when one is free and no older message waits in the
   * store (those go first): the accept then stores it already claimed. Each `true` must be
   * followed by `handOver` or `release`.
   */
  reserve(): boolean {
    if (this.stopping || this.more || this.claiming) return false;
    if (this.active + this.reserved >= this.limit.current || this.backedUp()) return false;
    this.reserved++;
    return true;
  }

  /** The accept of a reserved slot finished: a new message goes out now, anything else frees the slot. */
  handOver(result: AcceptResult): void {
    this.reserved--;
    if (result.outcome !== 'created') {
      this.pump();
      return;
    }
    if (this.stopping) {
      // Shutdown began while it was being stored: nothing was sent, so it waits in the store.
      const requeue = this.options.store
        .requeue(result.message.id, this.options.now())
        .catch((error: unknown) =>
          this.options.logger.warn('cannot requeue a message accepted during shutdown', { error }),
        );
      this.track(requeue);
      return;
    }
    this.start(result.message);
  }

  /** The accept of a reserved slot failed: the slot is free again. */
  release(): void {
    this.reserved--;
    this.pump();
  }

  /** Messages were queued in the store: claim them when slots are free. */
  wake(): void {
    this.wakes++;
    this.more = true;
    this.pump();
  }

  /** Resolves true when the message's dispatch finishes, false after `timeoutMs`. */
  waitFor(id: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const list = this.waiters.get(id);
        if (list) {
          list.splice(list.indexOf(done), 1);
          if (list.length === 0) this.waiters.delete(id);
        }
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const list = this.waiters.get(id);
      if (list) list.push(done);
      else this.waiters.set(id, [done]);
    });
  }

  /** Outcomes still being written hold no slot, but past this many nothing new is claimed. */
  private backedUp(): boolean {
    return this.persisting >= Math.max(this.limit.current * 4, 256);
  }

  private pump(): void {
    if (this.stopping || this.claimRetry || this.claiming || !this.more || this.backedUp()) return;
    const free = this.limit.current - this.active - this.reserved;
    if (free <= 0) return;
    this.claiming = true;
    const seen = this.wakes;
    const { store, now, logger } = this.options;
    const claim = store.claimNext(this.instanceId, free, now()).then(
      (claimed) => {
        this.claiming = false;
        // Fewer than asked: the queue is empty, unless something was queued meanwhile.
        if (claimed.length < free && this.wakes === seen) this.more = false;
        for (const message of claimed) this.start(message);
        this.pump();
      },
      (error: unknown) => {
        this.claiming = false;
        logger.error('cannot claim messages; retrying', { error });
        this.claimRetry = setTimeout(() => {
          this.claimRetry = undefined;
          this.pump();
        }, CLAIM_RETRY_MS);
        this.claimRetry.unref();
      },
    );
    this.track(claim);
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  private start(message: StoredMessage): void {
    if (this.stopping) {
      // Claimed as shutdown began: nothing was sent, so it goes back to the queue.
      this.track(this.options.store.requeue(message.id, this.options.now()));
      return;
    }
    this.active++;
    this.track(this.dispatch(message));
  }

  /** The send is over (its outcome may still be being written): its slot goes to the next message. */
  private sent(startedAt: number): void {
    this.active--;
    this.limit.sample(this.options.now() - startedAt, this.more);
    this.pump();
  }

  private finished(id: string): void {
    this.offsets.delete(id);
    this.slowAttempts.forget(id);
    this.deliveryRate.record();
    const waiting = this.waiters.get(id);
    if (waiting) {
      this.waiters.delete(id);
      for (const wake of waiting) wake();
    }
  }

  /**
   * Sends a message this instance holds in flight (a campaign's, claimed for a bulk request) on
   * its own, after its call in the bulk request failed: `prior` is that call, the first of its
   * attempts; the route goes on from there as after any failed attempt. It takes a slot like the
   * dispatcher's own sends, and ends the same way (outcome, retry round, recovery).
   */
  sendAfter(stored: StoredMessage, prior: Attempt): void {
    this.active++;
    this.track(this.dispatch(stored, prior));
  }

  private async dispatch(stored: StoredMessage, prior?: Attempt): Promise<void> {
    const { router, metrics, now } = this.options;
    const controller = new AbortController();
    this.controllers.set(stored.id, controller);
    const round = dispatchRound(stored);
    if (round.offset > 0) this.offsets.set(stored.id, round.offset);
    const startedAt = now();
    let routed: RoutedSend | undefined;
    let failure: unknown;
    try {
      routed = await router.send(stored.message, {
        signal: controller.signal,
        override: routingOverride({ provider: stored.overrideProvider, route: stored.overrideRoute }),
        tried: prior?.trigger ? { provider: prior.provider, trigger: prior.trigger } : undefined,
      });
      if (prior) routed = { ...routed, attempts: afterPrior(prior, routed.attempts) };
    } catch (error) {
      failure = error;
      if (prior && RoutingError.isInstance(error)) {
        (error as { attempts: readonly Attempt[] }).attempts = afterPrior(prior, error.attempts);
      }
    } finally {
      this.controllers.delete(stored.id);
      this.persisting++;
      this.sent(startedAt);
    }
    try {
      if (routed) {
        metrics.dispatched.inc({ result: 'sent' });
        const cost = routed.result.cost;
        if (cost && Number.isFinite(Number(cost.amount))) {
          metrics.cost.inc({ provider: routed.provider, currency: cost.currency }, Number(cost.amount));
        }
        this.options.onSent?.(stored, routed);
        const outcome = successOutcome(stored.id, routed, round);
        outcome.costMicros = this.options.costs?.costOf(stored, routed);
        await this.finish(stored, outcome, routed.provider);
      } else {
        const outcome = await this.failed(stored, failure, round, controller.signal.aborted);
        if (outcome) await this.finish(stored, outcome, undefined);
      }
    } finally {
      this.persisting--;
      this.finished(stored.id);
      this.pump();
    }
  }

  /** What a failed send leaves to store; undefined when it was dealt with (shutdown, a retry round). */
  private async failed(
    stored: StoredMessage,
    error: unknown,
    round: DispatchRound,
    aborted: boolean,
  ): Promise<DispatchOutcome | undefined> {
    const { metrics, now } = this.options;
    if (aborted && this.stopping) {
      await this.abandon(stored, error);
      return undefined;
    }
    let outcome: DispatchOutcome;
    if (mayPass(error)) {
      const decision = nextRound(this.options.retryRounds, stored, error, now());
      if (decision.retry) {
        await this.waitForRound(stored, error, round, decision);
        return undefined;
      }
      const retrying = this.options.retryRounds.maxRounds > 0;
      if (retrying) metrics.retryRounds.inc({ outcome: 'given-up' });
      outcome = failureOutcome(stored.id, error, round, retrying ? decision.why : undefined);
    } else if (RoutingError.isInstance(error)) {
      outcome = failureOutcome(stored.id, error, round);
    } else {
      // An override validated at accept time may no longer hold (config changed between runs).
      outcome = {
        status: 'failed',
        error: {
          kind: 'routing',
          code: (error as { code?: string }).code,
          message: (error as Error).message,
        },
      };
    }
    metrics.dispatched.inc({ result: 'failed' });
    return outcome;
  }

  /**
   * Stores the outcome of a message this instance sent outside its own slots (a campaign's bulk
   * request), exactly as its own sends' outcomes are stored: receipts plan, callback, cost.
   */
  async finishSent(
    stored: StoredMessage,
    outcome: DispatchOutcome,
    sentThrough: string | undefined,
  ): Promise<void> {
    this.options.metrics.dispatched.inc({ result: sentThrough ? 'sent' : 'failed' });
    try {
      await this.finish(stored, outcome, sentThrough);
    } finally {
      this.finished(stored.id);
    }
  }

  /** Work the drain waits for (a campaign's bulk request), like the dispatcher's own sends. */
  hold(work: Promise<unknown>): void {
    this.track(work);
  }

  /** Whether the dispatcher is stopping: nothing new may start. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Stores the outcome with its attempts and callback, in one commit, retried until it lands. */
  private async finish(
    stored: StoredMessage,
    outcome: DispatchOutcome,
    sentThrough: string | undefined,
  ): Promise<void> {
    const { now } = this.options;
    // One time for the outcome: the send time, the receipt deadline and the callback agree.
    const finishedAt = now();
    if (sentThrough) Object.assign(outcome, this.options.receipts.afterSend(sentThrough, finishedAt));
    outcome.callback = statusCallback(stored, {
      status: outcome.status,
      provider: outcome.providerId,
      providerMessageId: outcome.providerMessageId,
      error: outcome.error,
      occurredAt: finishedAt,
    });
    const write = () => this.options.store.finishDispatch(stored.id, outcome, finishedAt);
    if (await this.persist(`store the outcome of ${stored.id}`, write)) {
      if (sentThrough && outcome.costMicros) this.options.costs?.settled(sentThrough, outcome.costMicros);
      if (outcome.callback) this.options.onCallbackQueued?.();
      if (outcome.receiptDueAt !== undefined && outcome.receiptDueAt <= now()) this.options.onReceiptDue?.();
    }
  }

  /** Every provider failed for a reason that may pass: the message waits in the store for its next round. */
  private async waitForRound(
    stored: StoredMessage,
    error: RoutingError,
    round: DispatchRound,
    decision: { round: number; nextAttemptAt: number; reason: string },
  ): Promise<void> {
    // The next round sends again: an ambiguous attempt of this one may then be delivered twice.
    const attempts = (failureOutcome(stored.id, error, round).attempts ?? []).map((attempt) =>
      attempt.outcome === 'ambiguous' ? { ...attempt, possibleDuplicate: true } : attempt,
    );
    const scheduled = await this.persist(`schedule retry round ${decision.round + 1} of ${stored.id}`, () =>
      this.options.store.scheduleRetry(stored.id, { ...decision, attempts }, this.options.now()),
    );
    if (scheduled) this.options.metrics.retryRounds.inc({ outcome: 'scheduled' });
  }

  /**
   * Writes what a send did until the store takes it: the send happened, and forgetting it would
   * send the message again on the next start. Shutdown ends the wait; recovery then resolves it.
   */
  private async persist(what: string, write: () => Promise<void>): Promise<boolean> {
    try {
      await untilStored(write, { what, logger: this.options.logger, signal: this.shutdown.signal });
      return true;
    } catch (error) {
      this.options.logger.error(`cannot ${what}; left in flight for the next start to resolve`, { error });
      return false;
    }
  }

  /** Shutdown cut this send short: back to the queue if nothing left, else in flight for recovery. */
  private async abandon(stored: StoredMessage, error: unknown): Promise<void> {
    const called = RoutingError.isInstance(error) && error.attempts.length > 0;
    if (called) return;
    await this.options.store.requeue(stored.id, this.options.now()).catch(() => {});
  }

  /**
   * Shutdown began: nothing more is claimed or started (a message handed over from now on waits
   * in the store for the next start). Sends in flight go on; `drain` waits for them.
   */
  stopClaiming(): void {
    this.stopping = true;
  }

  /**
   * Stops claiming, waits up to `timeoutMs` for sends in flight, then aborts the rest (they stay
   * in flight in the store, and the next start resolves them by the route's rule).
   */
  async drain(timeoutMs: number): Promise<{ finished: boolean }> {
    this.stopping = true;
    if (this.claimRetry) clearTimeout(this.claimRetry);
    this.unsubscribe();
    const settled = Promise.allSettled([...this.running]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      // The next start resolves these by the route's rule: it must know which provider had each.
      await this.slowAttempts.writeOpen();
      this.shutdown.abort();
      for (const controller of this.controllers.values())
        controller.abort(new Error('gateway shutting down'));
      await Promise.race([
        Promise.allSettled([...this.running]),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
    } else {
      // Requeues of messages claimed as shutdown began.
      await Promise.allSettled([...this.running]);
    }
    this.slowAttempts.stop();
    return { finished: !timedOut };
  }
}
