import type { Backlog, MessageStore } from '../store/message-store.js';
import { type Admission, admit, type BacklogLimits } from './backpressure.js';

/**
 * The queue's size, age and share per key, as the API's backpressure needs it on every request
 * without a query each time: read from the store by a periodic refresh (and by `/readyz`), plus
 * what this process queued since, so a burst between two refreshes is counted at once. With
 * several instances on one store each counts its own burst only until the next refresh.
 */
export class BacklogMonitor {
  private last: Backlog = { queued: 0, oldestQueuedAt: undefined, byApiKey: {} };
  private added = 0;
  private addedByKey: Record<string, number> = {};

  constructor(
    private readonly store: MessageStore,
    private readonly limits: BacklogLimits,
    private readonly now: () => number,
    private readonly deliveredPerSecond: () => number,
  ) {}

  /** Reads the backlog from the store; returns it. */
  async refresh(): Promise<Backlog> {
    const backlog = await this.store.backlog(this.now());
    this.last = backlog;
    this.added = 0;
    this.addedByKey = {};
    return backlog;
  }

  /** `count` messages of the key were queued (accepted without a free dispatcher slot). */
  queued(apiKeyId: string, count = 1): void {
    this.added += count;
    this.addedByKey[apiKeyId] = (this.addedByKey[apiKeyId] ?? 0) + count;
  }

  current(): Backlog {
    if (this.added === 0) return this.last;
    const byApiKey = { ...this.last.byApiKey };
    for (const [key, count] of Object.entries(this.addedByKey)) byApiKey[key] = (byApiKey[key] ?? 0) + count;
    return {
      queued: this.last.queued + this.added,
      oldestQueuedAt: this.last.oldestQueuedAt ?? this.now(),
      byApiKey,
    };
  }

  /** Whether `count` more messages of the key (or any, for readiness) may join the queue now. */
  admit(apiKeyId: string | undefined, count: number, backlog: Backlog = this.current()): Admission {
    return admit(backlog, this.limits, {
      apiKeyId,
      count,
      now: this.now(),
      deliveredPerSecond: this.deliveredPerSecond(),
    });
  }
}
