import { statusCallback } from '../callbacks/callback-body.js';
import type { GatewayMetrics } from '../metrics.js';
import type { EventRecord, MessageStore } from '../store/message-store.js';
import type { ReceiptPlan } from './receipt-plan.js';

export interface ReceiptDeadlineOptions {
  store: MessageStore;
  plan: ReceiptPlan;
  metrics: GatewayMetrics;
  now: () => number;
  batchSize: number;
  onCallbackQueued: () => void;
}

/**
 * One sweep of receipt deadlines: each message still without a final status at its deadline ends
 * `unknown`, as an event in its history (`providerStatus` says why) and a status callback. A late
 * receipt still moves it on. Returns whether more may be due.
 */
export function expireOverdueReceipts(options: ReceiptDeadlineOptions): () => Promise<boolean> {
  const { store, plan, metrics, batchSize } = options;
  return async () => {
    const now = options.now();
    const overdue = await store.overdueReceipts(now, batchSize);
    const queued = await Promise.all(
      overdue.map(async (message) => {
        const reason = plan.expiryReason(message.providerId);
        const event: EventRecord = {
          messageId: message.id,
          providerId: message.providerId ?? 'gateway',
          providerMessageId: message.providerMessageId ?? '',
          status: 'unknown',
          providerStatus: reason,
          occurredAt: now,
          receivedAt: now,
          eventKey: `${message.id}:${reason}`,
          detail: {
            source: 'gateway',
            reason:
              reason === 'no-receipts'
                ? 'the provider reports no delivery, so none is awaited'
                : `no final status within receipts.deadlineMs (${plan.config.deadlineMs} ms) of the send`,
          },
        };
        const callback = statusCallback(message, {
          status: 'unknown',
          provider: message.providerId,
          providerMessageId: message.providerMessageId,
          providerStatus: reason,
          occurredAt: now,
        });
        const expired = await store.expireReceipt(event, callback);
        if (expired) metrics.receiptDeadlines.inc({ reason });
        return expired && callback !== undefined;
      }),
    );
    if (queued.includes(true)) options.onCallbackQueued();
    return overdue.length === batchSize;
  };
}
