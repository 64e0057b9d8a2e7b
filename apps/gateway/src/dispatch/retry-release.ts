import type { MessageStore } from '../store/message-store.js';

export interface RetryReleaseOptions {
  store: MessageStore;
  now: () => number;
  batchSize: number;
}

/**
 * One sweep of retry rounds: messages whose next round is due go back to the queue in the store
 * (which wakes the dispatchers), `batchSize` at a time. Returns whether more may be due.
 */
export function releaseDueRetries(options: RetryReleaseOptions): () => Promise<boolean> {
  return async () => {
    const ids = await options.store.releaseDueRetries(options.now(), options.batchSize);
    return ids.length === options.batchSize;
  };
}
