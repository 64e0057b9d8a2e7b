import type { MessageStore } from '../store/message-store.js';
import type { Dispatcher } from './dispatcher.js';

export interface RetryReleaseOptions {
  store: MessageStore;
  dispatcher: Dispatcher;
  now: () => number;
  batchSize: number;
}

/**
 * One sweep of retry rounds: messages whose next round is due go back to the queue and to the
 * dispatcher, never more than `batchSize` waiting in memory at once. Returns whether more may be due.
 */
export function releaseDueRetries(options: RetryReleaseOptions): () => Promise<boolean> {
  return async () => {
    const room = options.batchSize - options.dispatcher.depth.queued;
    if (room <= 0) return false;
    const ids = await options.store.releaseDueRetries(options.now(), room);
    for (const id of ids) options.dispatcher.enqueue(id);
    return ids.length === room;
  };
}
