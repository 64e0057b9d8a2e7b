import type { DeliveryEvent, Logger } from '@msg/core';
import { statusCallback } from '../callbacks/callback-body.js';
import type { GatewayMetrics } from '../metrics.js';
import type {
  AddEventResult,
  EventRecord,
  EventWrite,
  MessageStore,
  StoredMessage,
} from '../store/message-store.js';
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

/** A webhook's replay token and the hash of the body it came with (see `MessageStore.addWebhookEvents`). */
export interface IngestReplayToken {
  token: string;
  contentHash: string;
}

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

function eventWrite(
  providerId: string,
  event: DeliveryEvent,
  message: StoredMessage,
  receivedAt: number,
): EventWrite {
  const detail: Record<string, unknown> = {};
  if (event.error) detail.error = event.error;
  if (event.bounceType) detail.bounceType = event.bounceType;
  if (event.cost) detail.cost = event.cost;
  if (event.recipient) detail.recipient = event.recipient;
  if (event.details) detail.details = event.details;
  return {
    event: {
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
    callback: statusCallback(message, {
      status: event.status,
      provider: providerId,
      providerMessageId: event.providerMessageId,
      providerStatus: event.providerStatus,
      error: event.error,
      occurredAt: event.occurredAt.getTime(),
      recipient: event.recipient,
      bounceType: event.bounceType,
    }),
  };
}

/**
 * Stores verified delivery events: matched by our message id or by the provider's (the latest
 * send with that id within the receipt window); a duplicate is
 * not stored twice; the status moves forward only; an advance queues the client's status callback
 * in the same transaction. An event for a message we do not know is logged and dropped. With a
 * replay token, the token and the events are written in one transaction, and `replayed` (nothing
 * written) means the token was already used with other content.
 */
export async function ingestEvents(
  providerId: string,
  events: readonly DeliveryEvent[],
  context: IngestContext,
  replay?: IngestReplayToken,
): Promise<IngestOutcome[] | 'replayed'> {
  const receivedAt = context.now();
  const outcomes: Array<IngestOutcome | undefined> = [];
  const writes: Array<{ index: number; write: EventWrite; hasCallback: boolean; message: StoredMessage }> =
    [];
  for (const event of events) {
    const message = await findMessage(context, providerId, event);
    if (!message) {
      context.logger.warn(`webhook from ${providerId} for an unknown message`, {
        provider: providerId,
        providerMessageId: event.providerMessageId,
        messageId: event.messageId,
        status: event.status,
      });
      outcomes.push('unknown-message');
      continue;
    }
    writes.push({
      index: outcomes.length,
      write: eventWrite(providerId, event, message, receivedAt),
      hasCallback: message.callbackUrl !== undefined,
      message,
    });
    outcomes.push(undefined);
  }
  let results: AddEventResult[];
  if (replay) {
    const written = await context.store.addWebhookEvents(
      { providerId, ...replay, receivedAt },
      writes.map((item) => item.write),
    );
    if (written.outcome === 'replayed') return 'replayed';
    results = written.results;
  } else {
    results = [];
    for (const { write } of writes) results.push(await context.store.addEvent(write.event, write.callback));
  }
  writes.forEach(({ index, hasCallback, message, write }, position) => {
    const result = results[position] as AddEventResult;
    if (result.advanced && hasCallback) context.onCallbackQueued();
    if (result.advanced) receiptMetrics(context.metrics, providerId, message, write.event);
    outcomes[index] = result.stored ? 'stored' : 'duplicate';
  });
  for (const outcome of outcomes) {
    context.metrics.webhookEvents.inc({ provider: providerId, outcome: outcome as IngestOutcome });
  }
  return outcomes as IngestOutcome[];
}

/** Receipts by status and migration side, and the time to the first delivered one. */
function receiptMetrics(
  metrics: GatewayMetrics,
  providerId: string,
  message: StoredMessage,
  event: EventRecord,
): void {
  const side = message.migrationSide ?? 'none';
  metrics.receipts.inc({ provider: providerId, status: event.status, side });
  if (event.status === 'delivered') {
    metrics.timeToDelivery.observe(
      { provider: providerId, side },
      Math.max(0, event.receivedAt - message.createdAt) / 1000,
    );
  }
}
