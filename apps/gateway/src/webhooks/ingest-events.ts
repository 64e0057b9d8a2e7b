import type { DeliveryEvent, DeliveryStatus, Logger } from '@msg/core';
import { type StatusChange, statusCallback } from '../callbacks/callback-body.js';
import type { GatewayMetrics } from '../metrics.js';
import type {
  CallbackRequest,
  EventRecord,
  IncomingReceipt,
  MessageStore,
  ReceiptResult,
  ReceiptTarget,
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
  /**
   * A receipt that matches no stored send is held this long for its send's outcome to be stored
   * (`receipts.holdUnmatchedMs`); 0 drops it at once.
   */
  holdUnmatchedMs: number;
  /** Called when a receipt was held: the sweep that matches held receipts may run sooner. */
  onHeld?: (() => void) | undefined;
  /** A receipt moved a message of the provider forward (the `least-cost` strategy's delivered rates). */
  onAdvanced?: ((providerId: string, status: DeliveryStatus) => void) | undefined;
}

export type IngestOutcome = 'stored' | 'duplicate' | 'held' | 'unknown-message';

/** A webhook's replay token and the hash of the body it came with (see `MessageStore.recordReceipts`). */
export interface IngestReplayToken {
  token: string;
  contentHash: string;
}

function incomingReceipt(providerId: string, event: DeliveryEvent, receivedAt: number): IncomingReceipt {
  const detail: Record<string, unknown> = {};
  if (event.error) detail.error = event.error;
  if (event.bounceType) detail.bounceType = event.bounceType;
  if (event.cost) detail.cost = event.cost;
  if (event.recipient) detail.recipient = event.recipient;
  if (event.details) detail.details = event.details;
  return {
    messageId: event.messageId,
    event: {
      providerId,
      providerMessageId: event.providerMessageId,
      status: event.status,
      providerStatus: event.providerStatus,
      occurredAt: event.occurredAt.getTime(),
      receivedAt,
      eventKey: eventKey(providerId, event),
      detail: Object.keys(detail).length > 0 ? detail : undefined,
    },
  };
}

/**
 * Stores verified delivery events in one transaction: each matched by our message id or by the
 * provider's (the latest send with that id within the receipt window), inside the write that
 * stores it; a duplicate is not stored twice; the status moves forward only; an advance queues the
 * client's status callback in the same transaction. An event for a message we do not know is
 * held for `holdUnmatchedMs` (its send's outcome may not be stored yet: providers can post a
 * receipt before the answer to the send is committed; see `matchHeldReceipts`), else logged and
 * dropped. With a replay token, the token is written in the same transaction, and
 * `replayed` (nothing written) means the token was already used with other content.
 */
export async function ingestEvents(
  providerId: string,
  events: readonly DeliveryEvent[],
  context: IngestContext,
  replay?: IngestReplayToken,
): Promise<IngestOutcome[] | 'replayed'> {
  const receivedAt = context.now();
  const written = await context.store.recordReceipts({
    providerId,
    receipts: events.map((event) => incomingReceipt(providerId, event, receivedAt)),
    sentSince: receivedAt - context.receiptWindowMs,
    replay: replay ? { providerId, ...replay, receivedAt } : undefined,
    holdUnmatchedUntil: context.holdUnmatchedMs > 0 ? receivedAt + context.holdUnmatchedMs : undefined,
    callback: statusCallbackOf,
  });
  if (written.outcome === 'replayed') return 'replayed';
  let callbacks = false;
  const outcomes = written.results.map((result: ReceiptResult, index): IngestOutcome => {
    const event = events[index] as DeliveryEvent;
    if (result.outcome === 'unknown-message') {
      context.logger.warn(`webhook from ${providerId} for an unknown message`, {
        provider: providerId,
        providerMessageId: event.providerMessageId,
        messageId: event.messageId,
        status: event.status,
      });
    }
    callbacks = countReceipt(context, providerId, result, receivedAt) || callbacks;
    return result.outcome;
  });
  if (callbacks) context.onCallbackQueued();
  if (outcomes.includes('held')) context.onHeld?.();
  return outcomes;
}

/**
 * Stores held receipts whose send is now stored (as `ingestEvents` would have on arrival) and
 * drops those whose hold ended, logging each. Returns whether it took a full batch (more may wait).
 */
export async function matchHeldReceipts(context: IngestContext, limit: number): Promise<boolean> {
  const now = context.now();
  const { matched, expired } = await context.store.matchHeldReceipts({
    now,
    limit,
    callback: statusCallbackOf,
  });
  let callbacks = false;
  for (const { providerId, result } of matched) {
    callbacks = countReceipt(context, providerId, result, now) || callbacks;
  }
  for (const { providerId, providerMessageId } of expired) {
    context.logger.warn(`webhook from ${providerId} for an unknown message: no send matched it while held`, {
      provider: providerId,
      providerMessageId,
    });
    context.metrics.webhookEvents.inc({ provider: providerId, outcome: 'unknown-message' });
  }
  if (callbacks) context.onCallbackQueued();
  return matched.length === limit || expired.length === limit;
}

/** The client's status callback for a receipt that moved its message forward. */
function statusCallbackOf(message: StoredMessage, event: EventRecord): CallbackRequest | undefined {
  const change: StatusChange = {
    status: event.status,
    provider: event.providerId,
    providerMessageId: event.providerMessageId,
    providerStatus: event.providerStatus,
    error: event.detail?.error as StatusChange['error'],
    occurredAt: event.occurredAt,
    recipient: event.detail?.recipient as StatusChange['recipient'],
    bounceType: event.detail?.bounceType as StatusChange['bounceType'],
  };
  return statusCallback(message, change);
}

/** Counts what became of a receipt; returns whether it queued a status callback. */
function countReceipt(
  context: IngestContext,
  providerId: string,
  result: ReceiptResult,
  receivedAt: number,
): boolean {
  context.metrics.webhookEvents.inc({ provider: providerId, outcome: result.outcome });
  if (result.outcome !== 'stored' && result.outcome !== 'duplicate') return false;
  if (!result.advanced) return false;
  receiptMetrics(context.metrics, providerId, result.message, result.status, receivedAt);
  context.onAdvanced?.(providerId, result.status);
  return result.message.callbackUrl !== undefined;
}

/** Receipts by status and migration side, and the time to the first delivered one. */
function receiptMetrics(
  metrics: GatewayMetrics,
  providerId: string,
  message: ReceiptTarget,
  status: EventRecord['status'],
  receivedAt: number,
): void {
  const side = message.migrationSide ?? 'none';
  metrics.receipts.inc({ provider: providerId, status, side });
  if (status === 'delivered') {
    metrics.timeToDelivery.observe(
      { provider: providerId, side },
      Math.max(0, receivedAt - message.createdAt) / 1000,
    );
  }
}
