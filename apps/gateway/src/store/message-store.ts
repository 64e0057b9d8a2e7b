import type { Channel, DeliveryStatus, ErrorKind, Message, MigrationSide } from '@msg/core';
import type { CallbackFormat, MessageIngress } from '../ingress/message-ingress.js';
import type { CampaignStore, LedgerStore } from './campaign-store.js';
import type { OperationsStore } from './operations-store.js';
import type { SessionStore } from './session-store.js';

/**
 * Where a message stands in the gateway's own pipeline (not the provider's delivery status):
 * `waiting` is a message whose every provider failed for a reason that may pass, due for another
 * round at `nextAttemptAt`.
 */
export type DispatchState = 'queued' | 'in-flight' | 'waiting' | 'done';

export interface StoredMessage {
  id: string;
  channel: Channel;
  message: Message;
  status: DeliveryStatus;
  dispatchState: DispatchState;
  apiKeyId: string;
  idempotencyKey?: string | undefined;
  callbackUrl?: string | undefined;
  /** The provider API it came in through (Twilio, SendGrid), when not `/v1`: its callbacks take that API's format. */
  ingress?: MessageIngress | undefined;
  /** Force this provider instance (per-message override). */
  overrideProvider?: string | undefined;
  /** Go through this route instead of the one its match picks (a campaign's route). */
  overrideRoute?: string | undefined;
  providerId?: string | undefined;
  providerMessageId?: string | undefined;
  routingReason?: string | undefined;
  segments?: number | undefined;
  cost?: { amount: string; currency: string } | undefined;
  error?: { kind: ErrorKind | 'routing'; code?: string | undefined; message: string } | undefined;
  createdAt: number;
  updatedAt: number;
  /** When the provider accepted it (receipts are matched to sends by this time). */
  sentAt?: number | undefined;
  /** When, with no final status yet, the message ends `unknown`. */
  receiptDueAt?: number | undefined;
  /** When the provider is next asked for the message's status (`getStatus`). */
  reconcileAt?: number | undefined;
  /** Status look-ups made so far. */
  reconcileAttempts?: number | undefined;
  /** Retry rounds already failed (0 on the first dispatch). */
  retryRound?: number | undefined;
  /** Why the last round failed, while the message waits for the next. */
  retryReason?: string | undefined;
  /** When a `waiting` message is tried again. */
  nextAttemptAt?: number | undefined;
  /** Attempts stored so far; set by the claims, so a re-dispatch continues their numbering. */
  attemptCount?: number | undefined;
  /** The migration side the router chose for it, on a route with a migration. */
  migrationSide?: MigrationSide | undefined;
  /** The campaign it belongs to (one message per campaign recipient). */
  campaignId?: string | undefined;
  /**
   * Credits it holds, with credits on: reserved at accept (a campaign's message takes its share of
   * the campaign's reservation instead), settled by the outcome's commit: released, and what the
   * provider accepted debited.
   */
  charge?: { account: string; heldMicros: number } | undefined;
  /** Micro-units debited for it once settled. */
  chargedMicros?: number | undefined;
  /** The provider's id of the bulk request it went out in (`sendBatch`). */
  bulkId?: string | undefined;
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
  /** The migration whose route the message took: analysis counts the attempt for its provider's side. */
  migrationId?: string | undefined;
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

/** A verified delivery event, matched to its message by the store inside the write that stores it. */
export interface IncomingReceipt {
  /** Our message id, when the provider carries it back; otherwise the provider message id finds it. */
  messageId?: string | undefined;
  event: Omit<EventRecord, 'messageId'>;
}

/** What receipt ingestion needs of a message: read without its payload. */
export interface ReceiptTarget {
  id: string;
  callbackUrl?: string | undefined;
  createdAt: number;
  migrationSide?: MigrationSide | undefined;
}

/** One webhook's (or look-up's) receipts, stored in one transaction. */
export interface ReceiptBatch {
  providerId: string;
  receipts: readonly IncomingReceipt[];
  /**
   * Matched by provider message id only to the latest send at or after this time: providers reuse
   * and wrap their ids, so an older send with the same id never takes another's receipt.
   */
  sentSince: number;
  /** A replay token stored with the events (see `recordReceipts`). */
  replay?: ReplayToken | undefined;
  /**
   * A receipt that names no message of ours and matches no stored send is held until this time
   * rather than dropped: its send's outcome may not be stored yet (see `matchHeldReceipts`).
   * Without it, such a receipt is `unknown-message`.
   */
  holdUnmatchedUntil?: number | undefined;
  /**
   * The status callback to queue, in the same transaction, when a receipt moves a message with a
   * `callbackUrl` forward (read whole for it).
   */
  callback: (message: StoredMessage, event: EventRecord) => CallbackRequest | undefined;
}

/** A sweep over held receipts (see `MessageStore.matchHeldReceipts`). */
export interface HeldReceiptsBatch {
  now: number;
  limit: number;
  callback: ReceiptBatch['callback'];
}

export interface HeldReceiptsResult {
  /** Each held receipt that found its send, with its provider and what became of it. */
  matched: Array<{ providerId: string; receipt: IncomingReceipt; result: ReceiptResult }>;
  /** Held receipts whose hold ended with no send stored for them: deleted. */
  expired: Array<{ providerId: string; providerMessageId: string }>;
}

/** What became of one receipt: no message; or stored (or a duplicate) with the message's status after it. */
export type ReceiptResult =
  | { outcome: 'unknown-message' }
  /** Kept durably until its send is stored (`holdUnmatchedUntil`). */
  | { outcome: 'held' }
  | {
      outcome: 'stored' | 'duplicate';
      message: ReceiptTarget;
      status: DeliveryStatus;
      advanced: boolean;
    };

export type ReceiptsResult =
  /** The replay token was stored before with other content: nothing was written. */
  { outcome: 'replayed' } | { outcome: 'accepted'; results: ReceiptResult[] };

/** The queue as it stands: messages accepted and not yet claimed by a dispatcher. */
export interface Backlog {
  queued: number;
  /** When the oldest of them was accepted. */
  oldestQueuedAt: number | undefined;
  /** Queued messages per API key id (keys with none are absent). */
  byApiKey: Record<string, number>;
}

export interface OutboxCallback {
  id: number;
  messageId: string;
  /** The message's callbacks are numbered from 1 in the order they were queued. */
  sequence: number;
  url: string;
  body: string;
  /** A provider's format, signed by its scheme; the gateway's own when absent. */
  format?: CallbackFormat | undefined;
  attempts: number;
  nextAttemptAt: number;
}

export type AcceptResult =
  | { outcome: 'created'; message: StoredMessage }
  | { outcome: 'replayed'; message: StoredMessage }
  | { outcome: 'conflict'; messageId: string };

/** Where a page of `recentByRecipient` ended: its last message. */
export interface RecipientCursor {
  createdAt: number;
  id: string;
}

/** A status callback to queue in the same transaction as the change it reports. */
export interface CallbackRequest {
  url: string;
  body: string;
  /**
   * A provider's format (the message came in through its API): the body is that provider's and
   * carries no `sequence`; the worker signs it by the provider's scheme.
   */
  format?: CallbackFormat | undefined;
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
  /** Ends the message `unknown` at this time unless a final status comes first. */
  receiptDueAt?: number | undefined;
  /** Asks the provider for the status at this time unless a final status comes first. */
  reconcileAt?: number | undefined;
  /** The route the router took, and the migration side it chose on it: what migration analysis reads. */
  routeId?: string | undefined;
  migration?: { id: string; side: MigrationSide } | undefined;
  /** Carrier or country (SMS), domain (email): analysis compares the sides over the same destinations. */
  destination?: string | undefined;
  /** The bulk request it went out in. */
  bulkId?: string | undefined;
  /**
   * What the send costs, in micro-units of the credit currency (the provider's reported cost,
   * else the price table's): debited in the same transaction when the provider accepted it.
   */
  costMicros?: number | undefined;
}

/** A message going back to wait for another round after every provider failed. */
export interface RetrySchedule {
  /** The round that just failed (1 for the first dispatch). */
  round: number;
  nextAttemptAt: number;
  /** Why the round failed, for the next round's attempt reasons. */
  reason: string;
  /** The round's attempts, stored in the same transaction. */
  attempts: readonly AttemptRecord[];
}

/** Whether the store's writes land; a full disk makes it `false` until a write succeeds again. */
export type StoreWriteHealth = { writable: true } | { writable: false; reason: string; since: number };

/**
 * The gateway's durable state. The embedded SQLite adapter implements it; a PostgreSQL adapter
 * implements the same interface and passes the same suite.
 */
export interface MessageStore extends OperationsStore, SessionStore {
  /** Campaigns and their recipients, in the same database (their messages are this store's). */
  readonly campaigns: CampaignStore;
  /** Credits and spend, written in the same transactions as the messages they follow. */
  readonly ledger: LedgerStore;
  /**
   * Stores a new message, or returns the first result for a repeated idempotency key with the
   * same request hash; a different hash is a conflict. All or nothing. A message with a `charge`
   * reserves it on its account in the same transaction, or throws `InsufficientCreditError`
   * (nothing stored) when the balance is short.
   */
  accept(
    message: StoredMessage,
    idempotency?: { key: string; requestHash: string; expiresAt: number },
    /**
     * Stores a new message already claimed in flight by this dispatcher instance (it had room for
     * it): the send follows at once, with no second commit before it. `message.dispatchState`
     * must then be `in-flight`.
     */
    claim?: { instanceId: string },
  ): Promise<AcceptResult>;
  /**
   * Registers or renews a dispatcher instance's lease: the messages it claimed stay its own until
   * `leaseUntil`; after that, another instance (or its own next start) takes them over.
   */
  renewLease(instanceId: string, leaseUntil: number, now: number): Promise<void>;
  /**
   * Claims up to `limit` queued messages, oldest first, in flight under the instance's lease
   * (persisted before any send), each with its `attemptCount`. Never the same message twice.
   */
  claimNext(instanceId: string, limit: number, now: number): Promise<StoredMessage[]>;
  /**
   * In-flight messages whose instance's lease has ended (it died), up to `limit`, taken over by
   * `instanceId` for recovery, with their `attemptCount`.
   */
  takeOverInFlight(instanceId: string, now: number, limit: number): Promise<StoredMessage[]>;
  /**
   * Wakes dispatchers: `listener` is called after messages were queued (accepted unclaimed,
   * requeued, released for a retry round) and committed, by this process or, for a shared store,
   * by another instance. Returns the function that stops listening.
   */
  onQueued(listener: () => void): () => void;
  /** The queue's size, age and share per API key, for backpressure and readiness. */
  backlog(now: number): Promise<Backlog>;
  /**
   * Retention: deletes up to `limit` finished messages accepted before `before`, with their
   * attempts, events, callbacks and shadow validations, and replay tokens older than `before`.
   * Returns how many messages it deleted.
   */
  pruneFinished(before: number, limit: number): Promise<number>;
  /**
   * Stores several new messages (no idempotency key), queued, all together or none: a request that
   * carries them is answered once, so it must never be half stored.
   */
  acceptAll(messages: readonly StoredMessage[]): Promise<void>;
  /**
   * The value stored under `name`, storing `create()` first when there is none. The first writer
   * wins, so every instance sharing the store agrees on one value (a generated signing key).
   */
  ensureSecret(name: string, create: () => string, now: number): Promise<string>;
  recordAttempt(attempt: AttemptRecord): Promise<void>;
  /**
   * Stores the outcome and its attempts; a message holding credits is settled in the same
   * transaction (released; `costMicros` debited when the provider accepted it). The receipt deadline and the status look-up apply only
   * while the status is not final (a receipt may have come first). `sentAt` is set when the
   * outcome names a provider message id.
   */
  finishDispatch(messageId: string, outcome: DispatchOutcome, now: number): Promise<void>;
  /** An in-flight message waits for another round (`waiting`), its round's attempts stored. */
  scheduleRetry(messageId: string, retry: RetrySchedule, now: number): Promise<void>;
  /** Moves `waiting` messages whose next round is due back to `queued`; returns their ids, earliest due first. */
  releaseDueRetries(now: number, limit: number): Promise<string[]>;
  /** Back to the queue (e.g. shutdown before sending). */
  requeue(messageId: string, now: number): Promise<void>;
  get(id: string): Promise<StoredMessage | undefined>;
  attempts(messageId: string): Promise<AttemptRecord[]>;
  events(messageId: string): Promise<EventRecord[]>;
  /**
   * Messages to this recipient (an E.164 number, or an email address in lower case, as `to` named
   * it), newest first; with `before`, those after that one in this order (the next page).
   */
  recentByRecipient(
    recipient: string,
    options: { limit: number; before?: RecipientCursor | undefined },
  ): Promise<StoredMessage[]>;
  /**
   * Stores receipts in one transaction: each is matched to its message (by our id, else the latest
   * send of its provider message id since `sentSince`), stored unless its key was seen, and moves
   * the status forward only, queueing the status callback of an advance. A final (or `unknown`)
   * status ends the receipt deadline and the status look-ups. With a replay token: a token stored
   * before with another content hash is a replay and nothing is written; the same token with the
   * same content is the provider's retry, accepted and de-duplicated; a write that fails stores
   * neither, so the provider's retry is not refused.
   */
  recordReceipts(batch: ReceiptBatch): Promise<ReceiptsResult>;
  /**
   * Held receipts whose send is now stored, up to `limit`, each stored as `recordReceipts` would
   * have (matched to the latest send since the time it was received, less the window), in one
   * transaction that also removes them; held receipts whose hold ended are deleted. Returns what
   * became of each matched one and how many expired unmatched.
   */
  matchHeldReceipts(batch: HeldReceiptsBatch): Promise<HeldReceiptsResult>;
  /**
   * The gateway's own `unknown` at the receipt deadline: stored (with its callback) only if it
   * moves the message forward, since a receipt may have arrived meanwhile. Returns whether it did.
   */
  expireReceipt(event: EventRecord, callback?: CallbackRequest): Promise<boolean>;
  /** Messages with no final status whose receipt deadline is at or before `now`, earliest first. */
  overdueReceipts(now: number, limit: number): Promise<StoredMessage[]>;
  /**
   * Messages due for a status look-up, leased: their next look-up moves to `now + leaseMs` (a
   * crash mid-look-up only delays it) and `reconcileAttempts` counts this one.
   */
  claimReconciliations(now: number, limit: number, leaseMs: number): Promise<StoredMessage[]>;
  /** Sets the next look-up (none: `undefined`); a message whose look-ups ended stays ended. */
  scheduleReconcile(messageId: string, at: number | undefined): Promise<void>;
  /**
   * Queues a status callback. Every way a callback is queued numbers it: the message's next
   * `sequence`, also written into the JSON body (`withSequence`), so a client can order them.
   */
  enqueueCallback(messageId: string, url: string, body: string, now: number): Promise<void>;
  /**
   * Due callbacks, each the first still pending of its message: a message's callbacks go out in
   * order, a later one only once the earlier is delivered or given up.
   */
  dueCallbacks(now: number, limit: number): Promise<OutboxCallback[]>;
  callbackDone(id: number): Promise<void>;
  callbackRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void>;
  countByDispatchState(): Promise<Record<DispatchState, number>>;
  purgeIdempotency(now: number): Promise<number>;
  /** Whether writes land: after a failed write, not writable (with the reason) until one succeeds. */
  writeHealth(): StoreWriteHealth;
  /** A small real write that tells whether the store can be written again (the health follows it). */
  probeWrite(now: number): Promise<void>;
  /**
   * Set by a store that several gateway instances share (PostgreSQL): each instance then recovers
   * the in-flight messages of a dead one while running, and re-reads control state and plans that
   * another instance may have changed.
   */
  readonly shared?: boolean | undefined;
  /**
   * On a shared store: whether this instance is the one that runs the work only one instance may
   * do (advancing migration plans); it stays so until it stops or loses its connection.
   */
  isLeader?(): Promise<boolean>;
  close(): Promise<void>;
}
