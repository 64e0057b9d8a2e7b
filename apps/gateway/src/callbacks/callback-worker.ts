import type { Logger } from '@msg/core';
import { Agent } from 'undici';
import type { GatewayMetrics } from '../metrics.js';
import type { MessageStore, OutboxCallback } from '../store/message-store.js';
import { type CallbackSigner, CallbackSigningError, gatewaySigner } from './callback-signer.js';
import { type CallbackTargetPolicy, callbackTargetRefusal } from './callback-target.js';

/** A store outbox the worker drains: status callbacks, or operators' alerts. */
export interface Outbox {
  due(now: number, limit: number): Promise<OutboxCallback[]>;
  done(id: number): Promise<void>;
  retry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void>;
}

/** The store's status-callback outbox. */
export function callbackOutbox(store: MessageStore): Outbox {
  return {
    due: (now, limit) => store.dueCallbacks(now, limit),
    done: (id) => store.callbackDone(id),
    retry: (id, nextAttemptAt, giveUp) => store.callbackRetry(id, nextAttemptAt, giveUp),
  };
}

export interface CallbackWorkerOptions {
  store: MessageStore;
  /** What it drains: the status-callback outbox unless told otherwise. */
  outbox?: Outbox;
  /** Names what it delivers in logs (`status callback`, `alert`). */
  kind?: string;
  /** Counts outcomes (delivered, retry, given-up); `msg_status_callbacks_total` by default. */
  count?: (outcome: 'delivered' | 'retry' | 'given-up') => void;
  secret: string;
  /** Writes each delivery's headers; the gateway's own scheme with `secret` unless given (provider formats). */
  sign?: CallbackSigner | undefined;
  /** Deliveries per callback before it is given up. */
  attempts: number;
  timeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  logger: Logger;
  metrics: GatewayMetrics;
  now: () => number;
  /** How often the outbox is polled when nothing kicks it. */
  pollIntervalMs?: number;
  /** Callbacks delivered at once. */
  concurrency?: number;
  /** Where callbacks may go: checked before each request and on every connect, after DNS. Alerts, which operators configure, go anywhere. */
  targets?: CallbackTargetPolicy | undefined;
}

/**
 * Drains the store's callback outbox in the background: signs each body, POSTs it to the client,
 * and on a failure reschedules it with exponential backoff (with jitter). It never runs on the
 * request path, so a slow client never slows webhook ingestion or sends.
 */
export class CallbackWorker {
  private readonly agent: Agent;
  private readonly sending = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private running = false;
  private stopped = false;
  private readonly outbox: Outbox;
  private readonly kind: string;
  private readonly count: (outcome: 'delivered' | 'retry' | 'given-up') => void;
  private readonly sign: CallbackSigner;

  constructor(private readonly options: CallbackWorkerOptions) {
    this.outbox = options.outbox ?? callbackOutbox(options.store);
    this.sign = options.sign ?? gatewaySigner(options.secret);
    this.kind = options.kind ?? 'status callback';
    this.count = options.count ?? ((outcome) => options.metrics.callbacks.inc({ outcome }));
    this.agent = new Agent({
      connections: 16,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
      ...(options.targets ? { connect: { lookup: options.targets.lookup } } : {}),
    });
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs ?? 250);
    this.timer.unref();
    this.kick();
  }

  /** Runs the outbox soon: called when a callback was just queued. */
  kick(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      const room = (this.options.concurrency ?? 32) - this.sending.size;
      if (room <= 0) return;
      const due = await this.outbox.due(this.options.now(), room + this.sending.size);
      for (const callback of due) {
        if (this.sending.has(callback.id) || this.sending.size >= (this.options.concurrency ?? 32)) continue;
        this.sending.add(callback.id);
        void this.deliver(callback).finally(() => {
          this.sending.delete(callback.id);
          this.kick();
        });
      }
    } catch (error) {
      this.options.logger.error(`${this.kind}s: cannot read the outbox`, { error });
    } finally {
      this.running = false;
    }
  }

  private async deliver(callback: OutboxCallback): Promise<void> {
    const { logger } = this.options;
    const timestamp = Math.floor(this.options.now() / 1000);
    let failure: string | undefined;
    const refused = this.options.targets?.checkUrl(callback.url);
    if (refused) return this.refuse(callback, refused);
    try {
      const headers = await this.sign(callback, timestamp);
      const target = new URL(callback.url);
      const response = await this.agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers,
        body: callback.body,
      });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await this.outbox.done(callback.id);
        this.count('delivered');
        return;
      }
      failure = `HTTP ${response.statusCode}`;
    } catch (error) {
      const refusal = callbackTargetRefusal(error);
      if (refusal) return this.refuse(callback, refusal.message);
      if (CallbackSigningError.isInstance(error)) return this.refuse(callback, error.message);
      failure = (error as Error).message;
    }
    const attempt = callback.attempts + 1;
    const giveUp = attempt >= this.options.attempts;
    const step = Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** (attempt - 1));
    const delay = Math.round(step / 2 + (Math.random() * step) / 2);
    this.count(giveUp ? 'given-up' : 'retry');
    logger.warn(`${this.kind} ${this.about(callback)} failed (${failure})`, {
      messageId: callback.messageId,
      attempt,
      giveUp,
      retryInMs: giveUp ? undefined : delay,
    });
    try {
      await this.outbox.retry(callback.id, this.options.now() + delay, giveUp);
    } catch (error) {
      logger.error(`${this.kind}s: cannot reschedule`, { error });
    }
  }

  /** A target the policy refuses stays refused: given up at once, never retried. */
  private async refuse(callback: OutboxCallback, reason: string): Promise<void> {
    this.count('given-up');
    this.options.logger.warn(`${this.kind} ${this.about(callback)} refused: ${reason}`, {
      messageId: callback.messageId,
    });
    await this.outbox
      .retry(callback.id, this.options.now(), true)
      .catch((error: unknown) => this.options.logger.error(`${this.kind}s: cannot give up`, { error }));
  }

  private about(callback: OutboxCallback): string {
    return callback.messageId
      ? `for ${callback.messageId}`
      : `${callback.id} to ${new URL(callback.url).host}`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // Undelivered callbacks stay pending in the outbox; the next start sends them.
    await this.agent.destroy().catch(() => {});
  }
}
