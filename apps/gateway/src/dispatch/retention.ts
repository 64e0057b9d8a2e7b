import type { MessageStore } from '../store/message-store.js';

export interface RetentionOptions {
  store: MessageStore;
  now: () => number;
  /** Messages deleted per sweep (each sweep is one short transaction). */
  batchSize: number;
  /** Finished messages accepted longer ago than this are deleted. */
  retentionMs: number;
  onPruned?: (count: number) => void;
}

/**
 * One sweep of retention: deletes a bounded batch of finished messages older than the retention,
 * with their attempts, events and callbacks. Small batches keep each transaction short, so sends
 * never wait long behind it. Returns whether more may be due.
 */
export function pruneFinished(options: RetentionOptions): () => Promise<boolean> {
  return async () => {
    const pruned = await options.store.pruneFinished(options.now() - options.retentionMs, options.batchSize);
    if (pruned > 0) options.onPruned?.(pruned);
    return pruned === options.batchSize;
  };
}
