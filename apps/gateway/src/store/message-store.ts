import type { Channel, DeliveryStatus, ErrorKind, Message } from '@msg/core';

/** Where a message stands in the gateway's own pipeline (not the provider's delivery status). */
export type DispatchState = 'queued' | 'in-flight' | 'done';

export interface StoredMessage {
  id: string;
  channel: Channel;
  message: Message;
  status: DeliveryStatus;
  dispatchState: DispatchState;
  apiKeyId: string;
  idempotencyKey?: string | undefined;
  callbackUrl?: string | undefined;
  /** Force this provider instance (per-message override). */
  overrideProvider?: string | undefined;
  providerId?: string | undefined;
  providerMessageId?: string | undefined;
  routingReason?: string | undefined;
  segments?: number | undefined;
  cost?: { amount: string; currency: string } | undefined;
  error?: { kind: ErrorKind | 'routing'; code?: string | undefined; message: string } | undefined;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  messageId: string;
  sequence: number;
  providerId: string;
  startedAt: number;
  finishedAt?: number | undefined;
  latencyMs?: number | undefined;
  outcome: 'in-flight' | 'succeeded' | 'failed' | 'ambiguous' | 'skipped';
  errorKind?: string | undefined;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  providerMessageId?: string | undefined;
  possibleDuplicate: boolean;
  reason?: string | undefined;
}

export interface EventRecord {
  messageId: string;
  providerId: string;
  providerMessageId: string;
  status: DeliveryStatus;
  providerStatus: string;
  occurredAt: number;
  receivedAt: number;
  /** De-duplication key: the provider's event id, or a hash of the event's content. */
  eventKey: string;
  detail?: Record<string, unknown> | undefined;
}

/**
 * A webhook's replay token (`WebhookResult.replayToken`: a signed value that must be used once,
 * where the signature does not cover the whole body), with what it came with.
 */
export interface ReplayToken {
  providerId: string;
  token: string;
  /** Hash of the webhook's body: the same token with another body is a replay. */
  contentHash: string;
  receivedAt: number;
}

/** A delivery event to store, with the status callback to queue if it moves its message forward. */
export interface EventWrite {
  event: EventRecord;
  callback?: CallbackRequest | undefined;
}

export type WebhookEventsResult =
  /** The token was stored before with other content: nothing was written. */
  | { outcome: 'replayed' }
  /** One result per event, as `addEvent` gives it. */
  | { outcome: 'accepted'; results: AddEventResult[] };

export interface OutboxCallback {
  id: number;
  messageId: string;
  url: string;
  body: string;
  attempts: number;
  nextAttemptAt: number;
}

export type AcceptResult =
  | { outcome: 'created'; message: StoredMessage }
  | { outcome: 'replayed'; message: StoredMessage }
  | { outcome: 'conflict'; messageId: string };

/** A status callback to queue in the same transaction as the change it reports. */
export interface CallbackRequest {
  url: string;
  body: string;
}

export interface DispatchOutcome {
  status: DeliveryStatus;
  providerId?: string | undefined;
  providerMessageId?: string | undefined;
  routingReason?: string | undefined;
  segments?: number | undefined;
  cost?: { amount: string; currency: string } | undefined;
  error?: StoredMessage['error'];
  /** Every attempt the router made, stored with the outcome in one transaction. */
  attempts?: readonly AttemptRecord[] | undefined;
  /** Queued in the same transaction, so a crash never loses the client's callback. */
  callback?: CallbackRequest | undefined;
}

/**
 * The gateway's durable state. The embedded SQLite adapter implements it; a PostgreSQL adapter
 * implements the same interface and passes the same suite.
 */
export interface MessageStore {
  /**
   * Stores a new message, or returns the first result for a repeated idempotency key with the
   * same request hash; a different hash is a conflict. All or nothing.
   */
  accept(
    message: StoredMessage,
    idempotency?: { key: string; requestHash: string; expiresAt: number },
  ): Promise<AcceptResult>;
  /** Marks queued messages in flight (persisted before any send). */
  claim(ids: readonly string[], now: number): Promise<StoredMessage[]>;
  recordAttempt(attempt: AttemptRecord): Promise<void>;
  finishDispatch(messageId: string, outcome: DispatchOutcome, now: number): Promise<void>;
  /** Back to the queue (e.g. shutdown before sending). */
  requeue(messageId: string, now: number): Promise<void>;
  get(id: string): Promise<StoredMessage | undefined>;
  attempts(messageId: string): Promise<AttemptRecord[]>;
  events(messageId: string): Promise<EventRecord[]>;
  findByProviderMessageId(providerId: string, providerMessageId: string): Promise<StoredMessage | undefined>;
  /**
   * Stores a delivery event unless its key was seen; moves the message's status forward only.
   * Returns whether the event was new and the message's status after it.
   */
  addEvent(
    event: EventRecord,
    /** Queued only when the event moved the message forward, in the same transaction. */
    callback?: CallbackRequest,
  ): Promise<{ stored: boolean; status: DeliveryStatus; advanced: boolean }>;
  /**
   * Stores one webhook's events together with its replay token, in one transaction. A token stored
   * before with another content hash is a replay: nothing is written. The same token with the
   * same content is the provider's retry: accepted, its events de-duplicated as `addEvent` does.
   * A write that fails stores neither, so the provider's retry is not refused.
   */
  addWebhookEvents(token: ReplayToken, events: readonly EventWrite[]): Promise<WebhookEventsResult>;
  /** Ids of messages still queued, oldest first (restart recovery). */
  queuedIds(limit: number): Promise<string[]>;
  /** Messages that were in flight when the process died. */
  inFlight(): Promise<StoredMessage[]>;
  enqueueCallback(messageId: string, url: string, body: string, now: number): Promise<void>;
  dueCallbacks(now: number, limit: number): Promise<OutboxCallback[]>;
  callbackDone(id: number): Promise<void>;
  callbackRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void>;
  countByDispatchState(): Promise<Record<DispatchState, number>>;
  appendAudit(entry: {
    at: number;
    actor: string;
    action: string;
    detail: Record<string, unknown>;
  }): Promise<void>;
  purgeIdempotency(now: number): Promise<number>;
  close(): Promise<void>;
}

/** What storing one event did: whether it was new, and the message's status after it. */
export type AddEventResult = Awaited<ReturnType<MessageStore['addEvent']>>;
