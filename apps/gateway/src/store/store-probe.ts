import type { MessageStore } from './message-store.js';

/**
 * While the store reports failed writes, a small write each run finds out when it takes writes
 * again, so readiness comes back even when nothing else writes (a load balancer stops sending
 * while the gateway is not ready).
 */
export function probeWhileUnwritable(store: MessageStore, now: () => number): () => Promise<boolean> {
  return async () => {
    if (!store.writeHealth().writable) await store.probeWrite(now()).catch(() => {});
    return false;
  };
}
