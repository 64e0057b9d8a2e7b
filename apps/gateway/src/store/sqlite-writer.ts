import { InsufficientCreditError } from './campaign-store.js';
import type { StoreWriteHealth } from './message-store.js';
import { StoreUnavailableError } from './store-error.js';

/** SQLite codes that mean the file cannot take writes now (as opposed to a constraint or a bug). */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|NOMEM|CORRUPT|NOTADB|PERM)/;

export function isStorageFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE_FAILURE.test(code);
}

export interface WriterHooks {
  /** Runs `work` in one transaction and commits it; a nested call is a savepoint. */
  transaction<T>(work: () => T): T;
  /** The outermost transaction: the one place a commit happens (a test makes it fail as a full disk). */
  commit<T>(work: () => T): T;
  isOpen(): boolean;
  /** After a commit that stored something: wakes whoever waits for it. */
  afterCommit(): void;
}

interface PendingWrite {
  what: string;
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: the writes issued in one event-loop turn share one transaction, which is most of
 * what SQLite can do per second; every promise resolves only after its commit. The batch runs
 * without a savepoint per write. Only when a write throws is the transaction rolled back and the
 * batch run again with each write in its own savepoint, so that one failing write does not fail
 * the others. Any SQLite failure (disk full, read-only file) becomes a `StoreUnavailableError`, and
 * the health says the store cannot be written until a write lands again.
 */
export class GroupCommitWriter {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private health: StoreWriteHealth = { writable: true };

  constructor(
    private readonly hooks: WriterHooks,
    private readonly grouped: boolean,
  ) {}

  get writeHealth(): StoreWriteHealth {
    return this.health;
  }

  write<T>(what: string, run: () => T): Promise<T> {
    if (!this.grouped) {
      try {
        const value = this.hooks.commit(run);
        this.health = { writable: true };
        this.hooks.afterCommit();
        return Promise.resolve(value);
      } catch (error) {
        if (isStorageFailure(error)) this.failed(what, error);
        return Promise.reject(this.unavailable(what, error));
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ what, run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is pending now (before the file closes). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      if (!this.hooks.isOpen()) throw new Error('the store is closed');
      outcomes = this.runBatch(batch);
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored.
      if (isStorageFailure(error)) this.failed(batch[0]?.what ?? 'write', error);
      for (const item of batch) item.reject(this.unavailable(item.what, error));
      return;
    }
    const storageFailure = outcomes.findIndex((outcome) => !outcome.ok && isStorageFailure(outcome.error));
    if (storageFailure >= 0) {
      const outcome = outcomes[storageFailure] as { ok: false; error: unknown };
      this.failed(batch[storageFailure]?.what ?? 'write', outcome.error);
    } else {
      this.health = { writable: true };
    }
    if (outcomes.some((outcome) => outcome.ok)) this.hooks.afterCommit();
    batch.forEach((item, index) => {
      const outcome = outcomes[index] as Outcome;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(this.unavailable(item.what, outcome.error));
    });
  }

  /** One transaction for the batch; again with a savepoint per write when one of them threw. */
  private runBatch(batch: readonly PendingWrite[]): Outcome[] {
    let writeFailed = false;
    try {
      const values = this.hooks.commit(() =>
        batch.map((item) => {
          try {
            return item.run();
          } catch (error) {
            writeFailed = true;
            throw error;
          }
        }),
      );
      return values.map((value) => ({ ok: true, value }));
    } catch (error) {
      if (!writeFailed) throw error;
    }
    const outcomes: Outcome[] = [];
    this.hooks.commit(() => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: this.hooks.transaction(item.run) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
    return outcomes;
  }

  private failed(what: string, error: unknown): void {
    if (this.health.writable) {
      this.health = {
        writable: false,
        reason: `cannot ${what}: ${(error as Error).message}`,
        since: Date.now(),
      };
    }
  }

  private unavailable(what: string, error: unknown): Error {
    // A refusal the write itself decided (a short balance) is the caller's answer, not an outage.
    if (StoreUnavailableError.isInstance(error) || error instanceof InsufficientCreditError) return error;
    return new StoreUnavailableError(`cannot ${what}: ${(error as Error).message}`, error);
  }
}
