import { type Logger, type RoutedSend, type Router, RoutingError } from '@msg/core';
import { statusCallback } from '../callbacks/callback-body.js';
import type { GatewayMetrics, QueueDepth } from '../metrics.js';
import type { ReceiptPlan } from '../receipts/receipt-plan.js';
import type { DispatchOutcome, MessageStore, StoredMessage } from '../store/message-store.js';
import { untilStored } from '../store/until-stored.js';
import { type DispatchRound, dispatchRound, failureOutcome, successOutcome } from './dispatch-outcome.js';
import { mayPass, nextRound, type RetryRoundsConfig } from './retry-rounds.js';

export interface DispatcherOptions {
  store: MessageStore;
  router: Router;
  logger: Logger;
  metrics: GatewayMetrics;
  now: () => number;
  /** Messages dispatched at once (the worker pool's size). */
  concurrency: number;
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
}

const CLAIM_RETRY_MS = 1000;

/**
 * The in-process queue over the store: ids of accepted messages wait here; up to `concurrency`
 * are claimed (persisted in flight, before any send), sent through the router, and finished (the
 * outcome and every attempt in one transaction), or put back to wait for a retry round. The store
 * stays the truth: a crash loses only this list, which recovery rebuilds from the store. An
 * outcome the store cannot take is retried until it lands, holding its worker meanwhile.
 */
export class Dispatcher {
  private queue: string[] = [];
  private head = 0;
  private active = 0;
  private claiming = 0;
  private stopping = false;
  private claimRetry: NodeJS.Timeout | undefined;
  private readonly controllers = new Map<string, AbortController>();
  private readonly running = new Set<Promise<void>>();
  private readonly waiters = new Map<string, Array<() => void>>();
  /** Attempts already stored for re-dispatched messages, so new ones continue the sequence. */
  private readonly offsets = new Map<string, number>();
  /** Ends the wait for a store that cannot be written, when shutdown stops waiting for sends. */
  private readonly shutdown = new AbortController();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: DispatcherOptions) {
    // Persist each attempt as it starts: after a crash, recovery knows which provider had it.
    this.unsubscribe = options.router.on('attempt-started', (event) => {
      options.store
        .recordAttempt({
          messageId: event.messageId,
          sequence: (this.offsets.get(event.messageId) ?? 0) + event.number,
          providerId: event.provider,
          startedAt: event.at,
          outcome: 'in-flight',
          possibleDuplicate: false,
        })
        .catch((error: unknown) => options.logger.warn('cannot record an attempt start', { error }));
    });
  }

  get depth(): QueueDepth {
    return { queued: this.queue.length - this.head + this.claiming, inFlight: this.active };
  }

  /** Queues an accepted (persisted) message. */
  enqueue(id: string): void {
    this.queue.push(id);
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
      const list = this.waiters.get(id);
      if (list) list.push(done);
      else this.waiters.set(id, [done]);
    });
  }

  private pump(): void {
    if (this.stopping || this.claimRetry) return;
    const free = this.options.concurrency - this.active - this.claiming;
    const waiting = this.queue.length - this.head;
    if (free <= 0 || waiting <= 0) return;
    const take = Math.min(free, waiting);
    const ids = this.queue.slice(this.head, this.head + take);
    this.head += take;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.claiming += ids.length;
    const claim = this.options.store.claim(ids, this.options.now()).then(
      async (claimed) => {
        this.claiming -= ids.length;
        if (this.stopping) {
          // Shutdown began while claiming: nothing was sent, so these go back to the queue.
          const now = this.options.now();
          await Promise.allSettled(claimed.map((message) => this.options.store.requeue(message.id, now)));
          return;
        }
        for (const message of claimed) this.start(message);
        // Ids not claimed were dispatched already (a duplicate enqueue); nothing to do for them.
        this.pump();
      },
      (error: unknown) => {
        this.claiming -= ids.length;
        this.options.logger.error('cannot claim messages; retrying', { error });
        this.queue.splice(this.head, 0, ...ids);
        this.claimRetry = setTimeout(() => {
          this.claimRetry = undefined;
          this.pump();
        }, CLAIM_RETRY_MS);
        this.claimRetry.unref();
      },
    );
    this.running.add(claim);
    void claim.finally(() => this.running.delete(claim));
  }

  private start(message: StoredMessage): void {
    this.active++;
    const run = this.dispatch(message).finally(() => {
      this.active--;
      this.running.delete(run);
      this.offsets.delete(message.id);
      const waiting = this.waiters.get(message.id);
      if (waiting) {
        this.waiters.delete(message.id);
        for (const wake of waiting) wake();
      }
      this.pump();
    });
    this.running.add(run);
  }

  private async dispatch(stored: StoredMessage): Promise<void> {
    const { router, metrics, now } = this.options;
    const controller = new AbortController();
    this.controllers.set(stored.id, controller);
    const round = dispatchRound(stored);
    if (round.offset > 0) this.offsets.set(stored.id, round.offset);
    let outcome: DispatchOutcome;
    let sentThrough: string | undefined;
    try {
      const routed = await router.send(stored.message, {
        signal: controller.signal,
        override: stored.overrideProvider ? { provider: stored.overrideProvider } : undefined,
      });
      outcome = successOutcome(stored.id, routed, round);
      sentThrough = routed.provider;
      metrics.dispatched.inc({ result: 'sent' });
      const cost = routed.result.cost;
      if (cost && Number.isFinite(Number(cost.amount))) {
        metrics.cost.inc({ provider: routed.provider, currency: cost.currency }, Number(cost.amount));
      }
      this.options.onSent?.(stored, routed);
    } catch (error) {
      if (controller.signal.aborted && this.stopping) {
        await this.abandon(stored, error);
        return;
      }
      if (mayPass(error)) {
        const decision = nextRound(this.options.retryRounds, stored, error, now());
        if (decision.retry) {
          await this.waitForRound(stored, error, round, decision);
          return;
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
    } finally {
      this.controllers.delete(stored.id);
    }
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
    const finished = outcome;
    const write = () => this.options.store.finishDispatch(stored.id, finished, finishedAt);
    if (await this.persist(`store the outcome of ${stored.id}`, write)) {
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
   * Stops claiming, waits up to `timeoutMs` for sends in flight, then aborts the rest (they stay
   * in flight in the store, and the next start resolves them by the route's rule).
   */
  async drain(timeoutMs: number): Promise<{ finished: boolean }> {
    this.stopping = true;
    if (this.claimRetry) clearTimeout(this.claimRetry);
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
      this.shutdown.abort();
      for (const controller of this.controllers.values())
        controller.abort(new Error('gateway shutting down'));
      await Promise.race([
        Promise.allSettled([...this.running]),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
    }
    this.unsubscribe();
    return { finished: !timedOut };
  }
}
