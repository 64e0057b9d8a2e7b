import type { Logger, Router } from '@msg/core';
import type { MessageStore } from '../store/message-store.js';

export interface SlowAttemptsOptions {
  store: MessageStore;
  router: Router;
  logger: Logger;
  now: () => number;
  /** An attempt still in flight this long is written. */
  afterMs: number;
  /** Attempts the message had before this dispatch, so a new one continues their numbering. */
  offset: (messageId: string) => number;
}

interface OpenAttempt {
  providerId: string;
  sequence: number;
  startedAt: number;
  written: boolean;
}

/**
 * A send's attempts are written once, with its outcome, in one commit. An attempt still in flight
 * after `afterMs` (a provider that hangs, the kind most likely to be cut short by a crash) is also
 * written at its start, in one batch per tick, so that recovery knows which provider had it; so is
 * every attempt a shutdown cuts short. A send that returns quickly costs no write before its
 * outcome. An attempt whose start was never written (a crash within its first `afterMs`) is still
 * resolved after the crash, by the route's rule for ambiguous outcomes, at an unknown provider.
 */
export class SlowAttempts {
  private readonly open = new Map<string, OpenAttempt>();
  private readonly unsubscribe: Array<() => void>;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: SlowAttemptsOptions) {
    const { router } = options;
    this.unsubscribe = [
      router.on('attempt-started', (event) => {
        this.open.set(event.messageId, {
          providerId: event.provider,
          sequence: options.offset(event.messageId) + event.number,
          startedAt: event.at,
          written: false,
        });
      }),
      router.on('attempt-succeeded', (event) => this.open.delete(event.messageId)),
      router.on('attempt-failed', (event) => this.open.delete(event.messageId)),
    ];
    this.timer = setInterval(() => this.writeSlow(), Math.max(10, Math.floor(options.afterMs / 2)));
    this.timer.unref();
  }

  /** The message's dispatch ended: nothing of it is in flight any more. */
  forget(messageId: string): void {
    this.open.delete(messageId);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const stop of this.unsubscribe) stop();
  }

  /** Writes the start of every attempt in flight now (shutdown is about to cut them short). */
  async writeOpen(): Promise<void> {
    await Promise.all(this.write(Number.POSITIVE_INFINITY));
  }

  private writeSlow(): void {
    void Promise.all(this.write(this.options.now() - this.options.afterMs));
  }

  /** Writes the starts of attempts begun at or before `cutoff` and not written yet. */
  private write(cutoff: number): Array<Promise<void>> {
    const { store, logger } = this.options;
    const writes: Array<Promise<void>> = [];
    for (const [messageId, attempt] of this.open) {
      if (attempt.written || attempt.startedAt > cutoff) continue;
      attempt.written = true;
      writes.push(
        store
          .recordAttempt({
            messageId,
            sequence: attempt.sequence,
            providerId: attempt.providerId,
            startedAt: attempt.startedAt,
            outcome: 'in-flight',
            possibleDuplicate: false,
          })
          .catch((error: unknown) =>
            logger.warn('cannot record the start of an attempt in flight', { error }),
          ),
      );
    }
    return writes;
  }
}
