import type { DeliveryEvent, Logger } from '@msg/core';
import { statusCallback } from '../callbacks/callback-body.js';
import type { GatewayMetrics } from '../metrics.js';
import type { MessageStore, StoredMessage } from '../store/message-store.js';
import { eventKey } from './event-key.js';

export interface IngestContext {
  store: MessageStore;
  logger: Logger;
  metrics: GatewayMetrics;
  now: () => number;
  onCallbackQueued: () => void;
  /** A receipt matches only a send this recent (`receipts.windowMs`). */
  receiptWindowMs: number;
}

export type IngestOutcome = 'stored' | 'duplicate' | 'unknown-message';

async function findMessage(
  context: IngestContext,
  providerId: string,
  event: DeliveryEvent,
): Promise<StoredMessage | undefined> {
  if (event.messageId) {
    const byId = await context.store.get(event.messageId);
    if (byId) return byId;
  }
  // Providers reuse and wrap their ids: the latest send in the window owns the receipt.
  const sentSince = context.now() - context.receiptWindowMs;
  return context.store.findByProviderMessageId(providerId, event.providerMessageId, sentSince);
}

/**
 * Stores verified delivery events: matched by our message id or by the provider's (the latest
 * send with that id within the receipt window); a duplicate is
 * not stored twice; the status moves forward only; an advance queues the client's status callback
 * in the same transaction. An event for a message we do not know is logged and dropped.
 */
export async function ingestEvents(
  providerId: string,
  events: readonly DeliveryEvent[],
  context: IngestContext,
): Promise<IngestOutcome[]> {
  const outcomes: IngestOutcome[] = [];
  for (const event of events) {
    const message = await findMessage(context, providerId, event);
    if (!message) {
      context.logger.warn(`webhook from ${providerId} for an unknown message`, {
        provider: providerId,
        providerMessageId: event.providerMessageId,
        messageId: event.messageId,
        status: event.status,
      });
      context.metrics.webhookEvents.inc({ provider: providerId, outcome: 'unknown-message' });
      outcomes.push('unknown-message');
      continue;
    }
    const receivedAt = context.now();
    const detail: Record<string, unknown> = {};
    if (event.error) detail.error = event.error;
    if (event.bounceType) detail.bounceType = event.bounceType;
    if (event.cost) detail.cost = event.cost;
    if (event.recipient) detail.recipient = event.recipient;
    if (event.details) detail.details = event.details;
    const result = await context.store.addEvent(
      {
        messageId: message.id,
        providerId,
        providerMessageId: event.providerMessageId,
        status: event.status,
        providerStatus: event.providerStatus,
        occurredAt: event.occurredAt.getTime(),
        receivedAt,
        eventKey: eventKey(providerId, event),
        detail: Object.keys(detail).length > 0 ? detail : undefined,
      },
      statusCallback(message, {
        status: event.status,
        provider: providerId,
        providerMessageId: event.providerMessageId,
        providerStatus: event.providerStatus,
        error: event.error,
        occurredAt: event.occurredAt.getTime(),
      }),
    );
    if (result.advanced && message.callbackUrl) context.onCallbackQueued();
    const outcome: IngestOutcome = result.stored ? 'stored' : 'duplicate';
    context.metrics.webhookEvents.inc({ provider: providerId, outcome });
    outcomes.push(outcome);
  }
  return outcomes;
}
