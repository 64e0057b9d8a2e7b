import type { Logger } from '@msg/core';
import type { GatewayMetrics } from '../metrics.js';
import type { MessageStore, StoredMessage } from '../store/message-store.js';
import { type IngestContext, ingestEvents } from '../webhooks/ingest-events.js';
import type { ReceiptPlan } from './receipt-plan.js';

export interface ReconcilerOptions {
  store: MessageStore;
  plan: ReceiptPlan;
  /** Events found are stored exactly as webhook events are. */
  ingest: IngestContext;
  metrics: GatewayMetrics;
  logger: Logger;
  now: () => number;
  batchSize: number;
}

/** Runs `run` over `items`, `limit` at a time; a failing item is reported and the rest go on. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<void>,
  onError: (error: unknown) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T).catch(onError);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * One sweep of status look-ups: messages still without a final status some time after the send
 * (a receipt lost while the gateway restarted, say) are looked up at their provider's `getStatus`,
 * a few at a time and never on the send path, and what it says is stored as a webhook would be.
 * Look-ups back off until the receipt deadline, the last resort. Returns whether more may be due.
 */
export function reconcileOverdue(options: ReconcilerOptions): () => Promise<boolean> {
  const { store, plan, metrics, logger, batchSize } = options;
  const { concurrency, timeoutMs } = plan.config.reconcile;
  // Long enough for the whole batch: a look-up is only repeated if the process died meanwhile.
  const leaseMs = (Math.ceil(batchSize / concurrency) + 1) * timeoutMs;

  async function reconcile(message: StoredMessage): Promise<void> {
    const providerId = message.providerId as string;
    const provider = plan.lookUp(providerId);
    if (!provider?.getStatus || !message.providerMessageId) {
      // The provider left the config, or lost its look-up: nothing more to ask.
      await store.scheduleReconcile(message.id, undefined);
      return;
    }
    let outcome: 'updated' | 'unchanged' | 'failed' = 'unchanged';
    try {
      const events = await provider.getStatus(
        {
          providerMessageId: message.providerMessageId,
          messageId: message.id,
          sentAt: new Date(message.sentAt ?? message.updatedAt),
        },
        { signal: AbortSignal.timeout(timeoutMs) },
      );
      // We asked about this message: its events are its own, whatever id the provider reuses.
      const results = await ingestEvents(
        providerId,
        events.map((event) => ({ ...event, messageId: message.id })),
        options.ingest,
      );
      if (Array.isArray(results) && results.includes('stored')) outcome = 'updated';
    } catch (error) {
      outcome = 'failed';
      logger.warn(`status look-up of ${message.id} at ${providerId} failed; trying again later`, {
        provider: providerId,
        error: (error as Error).message,
      });
    }
    metrics.reconciliations.inc({ provider: providerId, outcome });
    await store.scheduleReconcile(message.id, plan.nextLookUp(message, options.now()));
  }

  return async () => {
    const due = await store.claimReconciliations(options.now(), batchSize, leaseMs);
    await inParallel(due, concurrency, reconcile, (error) =>
      logger.error('cannot schedule the next status look-up', { error }),
    );
    return due.length === batchSize;
  };
}
