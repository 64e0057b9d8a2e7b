import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  canAdvanceStatus,
  type DeliveryStatus,
  isDeliveredStatus,
  isFinalStatus,
  type SideSample,
} from '@msg/core';
import Database from 'better-sqlite3';
import { withSequence } from '../callbacks/callback-body.js';
import type {
  AcceptResult,
  AddEventResult,
  AttemptRecord,
  CallbackRequest,
  DispatchOutcome,
  DispatchState,
  EventRecord,
  EventWrite,
  MessageStore,
  OutboxCallback,
  RecipientCursor,
  ReplayToken,
  RetrySchedule,
  StoredMessage,
  StoreWriteHealth,
  WebhookEventsResult,
} from './message-store.js';
import type {
  AuditEntry,
  AuditQuery,
  CheckRecord,
  ControlRecord,
  OperationWrite,
  PlanRecord,
  SeriesPoint,
  SeriesQuery,
  ShadowValidationRecord,
  SideQuery,
} from './operations-store.js';
import { recipientsOf } from './recipients.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { SqliteOperations } from './sqlite-operations.js';
import { StoreUnavailableError } from './store-error.js';

export { StoreUnavailableError };

type Row = Record<string, unknown>;

const optional = <T>(value: unknown): T | undefined => (value ?? undefined) as T | undefined;

/** SQLite codes that mean the file cannot take writes now (as opposed to a constraint or a bug). */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|NOMEM|CORRUPT|NOTADB|PERM)/;

function isStorageFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE_FAILURE.test(code);
}

/** A status after which no receipt is awaited: final, or the deadline's `unknown`. */
const settled = (status: DeliveryStatus) => isFinalStatus(status) || status === 'unknown';

function toMessage(row: Row): StoredMessage {
  const message = JSON.parse(row.payload as string);
  return {
    id: row.id as string,
    channel: row.channel as StoredMessage['channel'],
    message,
    status: row.status as DeliveryStatus,
    dispatchState: row.dispatch_state as DispatchState,
    apiKeyId: row.api_key_id as string,
    idempotencyKey: (row.idempotency_key as string | null) ?? undefined,
    callbackUrl: (row.callback_url as string | null) ?? undefined,
    ingress: row.ingress ? JSON.parse(row.ingress as string) : undefined,
    overrideProvider: (row.override_provider as string | null) ?? undefined,
    providerId: (row.provider_id as string | null) ?? undefined,
    providerMessageId: (row.provider_message_id as string | null) ?? undefined,
    routingReason: (row.routing_reason as string | null) ?? undefined,
    segments: (row.segments as number | null) ?? undefined,
    cost: row.cost_amount
      ? { amount: row.cost_amount as string, currency: row.cost_currency as string }
      : undefined,
    error: row.error_message
      ? {
          kind: row.error_kind as NonNullable<StoredMessage['error']>['kind'],
          code: (row.error_code as string | null) ?? undefined,
          message: row.error_message as string,
        }
      : undefined,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    sentAt: optional(row.sent_at),
    migrationSide: optional(row.migration_side),
    receiptDueAt: optional(row.receipt_due_at),
    reconcileAt: optional(row.reconcile_at),
    reconcileAttempts: optional(row.reconcile_attempts),
    retryRound: optional(row.retry_round),
    retryReason: optional(row.retry_reason),
    nextAttemptAt: optional(row.next_attempt_at),
  };
}

function toAttempt(row: Row): AttemptRecord {
  return {
    messageId: row.message_id as string,
    sequence: row.sequence as number,
    providerId: row.provider_id as string,
    startedAt: row.started_at as number,
    finishedAt: (row.finished_at as number | null) ?? undefined,
    latencyMs: (row.latency_ms as number | null) ?? undefined,
    outcome: row.outcome as AttemptRecord['outcome'],
    errorKind: (row.error_kind as string | null) ?? undefined,
    errorCode: (row.error_code as string | null) ?? undefined,
    errorMessage: (row.error_message as string | null) ?? undefined,
    providerMessageId: (row.provider_message_id as string | null) ?? undefined,
    possibleDuplicate: row.possible_duplicate === 1,
    reason: (row.reason as string | null) ?? undefined,
  };
}

// Binary payloads (attachments) survive JSON as base64.
function serialize(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    item instanceof Uint8Array ? { $bytes: Buffer.from(item).toString('base64') } : item,
  );
}
function revive(_key: string, item: unknown): unknown {
  if (item && typeof item === 'object' && '$bytes' in item) {
    return new Uint8Array(Buffer.from((item as { $bytes: string }).$bytes, 'base64'));
  }
  return item;
}

export interface SqliteStoreOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** `normal` survives a process crash (kill -9); `full` also a power loss, at a cost per write. */
  synchronous?: 'normal' | 'full';
  /** Open without write access (inspection tools; tests of the unwritable-store path). */
  readonly?: boolean;
  /**
   * Group commit: writes issued in one event-loop turn share one transaction (each in its own
   * savepoint, so one failing write does not fail the others). On by default; every promise still
   * resolves only after its commit.
   */
  groupCommit?: boolean;
}

interface PendingWrite {
  what: string;
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Embedded store on SQLite (WAL): one file, nothing to install. */
export class SqliteMessageStore implements MessageStore {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly operations: SqliteOperations;
  private readonly groupCommit: boolean;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private health: StoreWriteHealth = { writable: true };

  constructor(options: SqliteStoreOptions) {
    this.groupCommit = options.groupCommit ?? true;
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      this.db = new Database(options.path, options.readonly ? { readonly: true } : {});
      if (!options.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        this.migrate();
      }
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('foreign_keys = ON');
    } catch (error) {
      throw new StoreUnavailableError(`cannot open ${options.path}: ${(error as Error).message}`, error);
    }
    const db = this.db;
    this.statements = {
      insertMessage: db.prepare(
        `INSERT INTO messages (id, channel, payload, status, dispatch_state, api_key_id, idempotency_key, callback_url,
           ingress, override_provider, created_at, updated_at)
         VALUES (@id, @channel, @payload, @status, @dispatchState, @apiKeyId, @idempotencyKey, @callbackUrl,
           @ingress, @overrideProvider, @createdAt, @updatedAt)`,
      ),
      getMessage: db.prepare('SELECT * FROM messages WHERE id = ?'),
      insertRecipient: db.prepare(
        'INSERT OR IGNORE INTO message_recipients (recipient, created_at, message_id) VALUES (?, ?, ?)',
      ),
      byRecipient: db.prepare(
        `SELECT message.* FROM message_recipients AS recipient JOIN messages AS message ON message.id = recipient.message_id
         WHERE recipient.recipient = ? AND (recipient.created_at, recipient.message_id) < (?, ?)
         ORDER BY recipient.created_at DESC, recipient.message_id DESC LIMIT ?`,
      ),
      getIdempotency: db.prepare('SELECT * FROM idempotency_keys WHERE api_key_id = ? AND key = ?'),
      deleteIdempotency: db.prepare('DELETE FROM idempotency_keys WHERE api_key_id = ? AND key = ?'),
      insertIdempotency: db.prepare(
        'INSERT INTO idempotency_keys (api_key_id, key, request_hash, message_id, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      claim: db.prepare(
        `UPDATE messages SET dispatch_state = 'in-flight', updated_at = ? WHERE id = ? AND dispatch_state = 'queued' RETURNING *`,
      ),
      attemptCount: db.prepare(
        'SELECT COALESCE(MAX(sequence), 0) AS count FROM attempts WHERE message_id = ?',
      ),
      scheduleRetry: db.prepare(
        `UPDATE messages SET dispatch_state = 'waiting', next_attempt_at = @nextAttemptAt, retry_round = @round,
           retry_reason = @reason, updated_at = @now
         WHERE id = @id`,
      ),
      // Named: the planner would otherwise walk every waiting message by dispatch state and sort.
      dueRetries: db.prepare(
        `SELECT id FROM messages INDEXED BY messages_retry_due
         WHERE dispatch_state = 'waiting' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
      ),
      releaseRetry: db.prepare(
        `UPDATE messages SET dispatch_state = 'queued', next_attempt_at = NULL, updated_at = ?
         WHERE id = ? AND dispatch_state = 'waiting'`,
      ),
      requeue: db.prepare(`UPDATE messages SET dispatch_state = 'queued', updated_at = ? WHERE id = ?`),
      upsertAttempt: db.prepare(
        `INSERT INTO attempts (message_id, sequence, provider_id, started_at, finished_at, latency_ms, outcome, error_kind,
           error_code, error_message, provider_message_id, possible_duplicate, reason, migration_id)
         VALUES (@messageId, @sequence, @providerId, @startedAt, @finishedAt, @latencyMs, @outcome, @errorKind, @errorCode,
           @errorMessage, @providerMessageId, @possibleDuplicate, @reason, @migrationId)
         ON CONFLICT (message_id, sequence) DO UPDATE SET finished_at = excluded.finished_at, latency_ms = excluded.latency_ms,
           outcome = excluded.outcome, error_kind = excluded.error_kind, error_code = excluded.error_code,
           error_message = excluded.error_message, provider_message_id = excluded.provider_message_id,
           possible_duplicate = excluded.possible_duplicate, reason = excluded.reason,
           migration_id = COALESCE(excluded.migration_id, attempts.migration_id)`,
      ),
      finish: db.prepare(
        `UPDATE messages SET dispatch_state = 'done', status = @status, provider_id = @providerId,
           provider_message_id = @providerMessageId, routing_reason = @routingReason, segments = @segments,
           cost_amount = @costAmount, cost_currency = @costCurrency, error_kind = @errorKind, error_code = @errorCode,
           error_message = @errorMessage, updated_at = @now, sent_at = COALESCE(@sentAt, sent_at),
           receipt_due_at = @receiptDueAt, reconcile_at = @reconcileAt, next_attempt_at = NULL, retry_reason = NULL,
           route_id = @routeId, migration_id = @migrationId, migration_side = @migrationSide, destination = @destination,
           delivered_at = CASE WHEN @status IN ('delivered', 'opened', 'clicked', 'complained')
             THEN COALESCE(delivered_at, @now) ELSE delivered_at END
         WHERE id = @id`,
      ),
      attempts: db.prepare('SELECT * FROM attempts WHERE message_id = ? ORDER BY sequence'),
      events: db.prepare('SELECT * FROM events WHERE message_id = ? ORDER BY id'),
      byProviderMessage: db.prepare(
        `SELECT * FROM messages WHERE provider_id = ? AND provider_message_id = ? AND sent_at >= ?
         ORDER BY sent_at DESC, rowid DESC LIMIT 1`,
      ),
      insertEvent: db.prepare(
        `INSERT OR IGNORE INTO events (message_id, provider_id, provider_message_id, status, provider_status, occurred_at,
           received_at, event_key, detail)
         VALUES (@messageId, @providerId, @providerMessageId, @status, @providerStatus, @occurredAt, @receivedAt, @eventKey, @detail)`,
      ),
      setStatus: db.prepare('UPDATE messages SET status = ?, updated_at = ? WHERE id = ?'),
      delivered: db.prepare('UPDATE messages SET delivered_at = COALESCE(delivered_at, ?) WHERE id = ?'),
      // No receipt is awaited any more: the deadline and the look-ups end.
      settle: db.prepare(
        'UPDATE messages SET status = ?, updated_at = ?, receipt_due_at = NULL, reconcile_at = NULL WHERE id = ?',
      ),
      overdueReceipts: db.prepare(
        `SELECT * FROM messages WHERE receipt_due_at IS NOT NULL AND receipt_due_at <= ?
         ORDER BY receipt_due_at LIMIT ?`,
      ),
      dueReconciliations: db.prepare(
        `SELECT id FROM messages WHERE reconcile_at IS NOT NULL AND reconcile_at <= ?
         ORDER BY reconcile_at LIMIT ?`,
      ),
      leaseReconciliation: db.prepare(
        `UPDATE messages SET reconcile_at = ?, reconcile_attempts = reconcile_attempts + 1
         WHERE id = ? AND reconcile_at <= ? RETURNING *`,
      ),
      scheduleReconcile: db.prepare(
        'UPDATE messages SET reconcile_at = ? WHERE id = ? AND reconcile_at IS NOT NULL',
      ),
      replayToken: db.prepare(
        'SELECT content_hash FROM webhook_replay_tokens WHERE provider_id = ? AND token = ?',
      ),
      insertReplayToken: db.prepare(
        'INSERT INTO webhook_replay_tokens (provider_id, token, content_hash, received_at) VALUES (?, ?, ?, ?)',
      ),
      queuedIds: db.prepare(
        `SELECT id FROM messages WHERE dispatch_state = 'queued' ORDER BY created_at LIMIT ?`,
      ),
      inFlight: db.prepare(`SELECT * FROM messages WHERE dispatch_state = 'in-flight' ORDER BY created_at`),
      nextCallbackSequence: db.prepare(
        'UPDATE messages SET callback_sequence = callback_sequence + 1 WHERE id = ? RETURNING callback_sequence',
      ),
      enqueueCallback: db.prepare(
        'INSERT INTO callback_outbox (message_id, url, body, next_attempt_at, sequence, format) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      // Only the first pending callback of each message: the rest wait their turn.
      dueCallbacks: db.prepare(
        `SELECT * FROM callback_outbox AS callback
         WHERE state = 'pending' AND next_attempt_at <= ?
           AND NOT EXISTS (SELECT 1 FROM callback_outbox AS earlier
             WHERE earlier.message_id = callback.message_id AND earlier.state = 'pending'
               AND earlier.sequence < callback.sequence)
         ORDER BY next_attempt_at LIMIT ?`,
      ),
      callbackDone: db.prepare(
        `UPDATE callback_outbox SET state = 'done', attempts = attempts + 1 WHERE id = ?`,
      ),
      callbackRetry: db.prepare(
        'UPDATE callback_outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ? WHERE id = ?',
      ),
      countStates: db.prepare(
        'SELECT dispatch_state, COUNT(*) AS count FROM messages GROUP BY dispatch_state',
      ),
      purgeIdempotency: db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?'),
      insertSecret: db.prepare(
        'INSERT INTO gateway_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      ),
      getSecret: db.prepare('SELECT value FROM gateway_secrets WHERE name = ?'),
      probe: db.prepare(
        'INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
      ),
    };
    this.operations = new SqliteOperations(db, (what, run) => this.write(what, run));
  }

  private migrate(): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
        (row) => row.version,
      ),
    );
    SQLITE_MIGRATIONS.forEach((sql, index) => {
      const version = index + 1;
      if (applied.has(version)) return;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(version, Date.now());
      })();
    });
  }

  /**
   * Runs a write in a transaction; any SQLite failure (disk full, read-only file) becomes a
   * `StoreUnavailableError` and rolls the write back whole. With group commit the write joins the
   * others of this event-loop turn in one transaction, which is most of the throughput of SQLite.
   */
  private write<T>(what: string, run: () => T): Promise<T> {
    if (!this.groupCommit) {
      try {
        const value = this.commit(run);
        this.health = { writable: true };
        return Promise.resolve(value);
      } catch (error) {
        if (isStorageFailure(error)) this.failed(what, error);
        return Promise.reject(this.unavailable(what, error));
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ what, run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Runs `work` in one transaction and commits it. The one place a commit happens, so a test can
   * make it fail as a full disk would.
   */
  protected commit<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  private failed(what: string, error: unknown): void {
    if (this.health.writable) {
      this.health = {
        writable: false,
        reason: `cannot ${what}: ${(error as Error).message}`,
        since: Date.now(),
      };
    }
  }

  private unavailable(what: string, error: unknown): StoreUnavailableError {
    return StoreUnavailableError.isInstance(error)
      ? error
      : new StoreUnavailableError(`cannot ${what}: ${(error as Error).message}`, error);
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      if (!this.db.open) throw new Error('the store is closed');
      this.commit(() => {
        for (const item of batch) {
          try {
            // A nested transaction is a savepoint: a failing write is undone alone.
            outcomes.push({ ok: true, value: this.db.transaction(item.run)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored.
      if (isStorageFailure(error)) this.failed(batch[0]?.what ?? 'write', error);
      for (const item of batch) item.reject(this.unavailable(item.what, error));
      return;
    }
    const storageFailure = batch.findIndex((_item, index) => {
      const outcome = outcomes[index];
      return outcome !== undefined && !outcome.ok && isStorageFailure(outcome.error);
    });
    if (storageFailure >= 0) {
      const outcome = outcomes[storageFailure] as { ok: false; error: unknown };
      this.failed(batch[storageFailure]?.what ?? 'write', outcome.error);
    } else {
      this.health = { writable: true };
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(this.unavailable(item.what, outcome?.error));
    });
  }

  async accept(
    message: StoredMessage,
    idempotency?: { key: string; requestHash: string; expiresAt: number },
  ): Promise<AcceptResult> {
    return this.write('store the message', (): AcceptResult => {
      if (idempotency) {
        const existing = this.statements.getIdempotency.get(message.apiKeyId, idempotency.key) as
          | Row
          | undefined;
        if (existing && (existing.expires_at as number) > message.createdAt) {
          if (existing.request_hash !== idempotency.requestHash) {
            return { outcome: 'conflict', messageId: existing.message_id as string };
          }
          const first = this.statements.getMessage.get(existing.message_id) as Row;
          return { outcome: 'replayed', message: toMessage(first) };
        }
        if (existing) this.statements.deleteIdempotency.run(message.apiKeyId, idempotency.key);
        this.statements.insertIdempotency.run(
          message.apiKeyId,
          idempotency.key,
          idempotency.requestHash,
          message.id,
          idempotency.expiresAt,
        );
      }
      this.insertMessage(message);
      return { outcome: 'created', message };
    });
  }

  private insertMessage(message: StoredMessage): void {
    this.statements.insertMessage.run({
      id: message.id,
      channel: message.channel,
      payload: serialize(message.message),
      status: message.status,
      dispatchState: message.dispatchState,
      apiKeyId: message.apiKeyId,
      idempotencyKey: message.idempotencyKey ?? null,
      callbackUrl: message.callbackUrl ?? null,
      ingress: message.ingress ? JSON.stringify(message.ingress) : null,
      overrideProvider: message.overrideProvider ?? null,
      createdAt: message.createdAt,
      updatedAt: message.updatedAt,
    });
    for (const recipient of recipientsOf(message.message)) {
      this.statements.insertRecipient.run(recipient, message.createdAt, message.id);
    }
  }

  async acceptAll(messages: readonly StoredMessage[]): Promise<void> {
    // One write: its savepoint rolls every insert back if any fails.
    await this.write('store the messages', () => {
      for (const message of messages) this.insertMessage(message);
    });
  }

  async ensureSecret(name: string, create: () => string, now: number): Promise<string> {
    const existing = this.statements.getSecret.get(name) as { value: string } | undefined;
    if (existing) return existing.value;
    const value = create();
    return this.write('store a generated secret', () => {
      this.statements.insertSecret.run(name, value, now);
      // Another instance may have stored one first: its value is the one in force.
      return (this.statements.getSecret.get(name) as { value: string }).value;
    });
  }

  async claim(ids: readonly string[], now: number): Promise<StoredMessage[]> {
    return this.write('claim messages', () => {
      const claimed: StoredMessage[] = [];
      for (const id of ids) {
        const row = this.statements.claim.get(now, id) as Row | undefined;
        if (!row) continue;
        const message = this.revived(row);
        message.attemptCount = (this.statements.attemptCount.get(id) as { count: number }).count;
        claimed.push(message);
      }
      return claimed;
    });
  }

  private revived(row: Row): StoredMessage {
    const stored = toMessage(row);
    stored.message = JSON.parse(row.payload as string, revive);
    return stored;
  }

  private upsertAttempt(attempt: AttemptRecord): void {
    this.statements.upsertAttempt.run({
      ...attempt,
      finishedAt: attempt.finishedAt ?? null,
      latencyMs: attempt.latencyMs ?? null,
      errorKind: attempt.errorKind ?? null,
      errorCode: attempt.errorCode ?? null,
      errorMessage: attempt.errorMessage ?? null,
      providerMessageId: attempt.providerMessageId ?? null,
      possibleDuplicate: attempt.possibleDuplicate ? 1 : 0,
      reason: attempt.reason ?? null,
      migrationId: attempt.migrationId ?? null,
    });
  }

  async recordAttempt(attempt: AttemptRecord): Promise<void> {
    await this.write('record the attempt', () => this.upsertAttempt(attempt));
  }

  async finishDispatch(messageId: string, outcome: DispatchOutcome, now: number): Promise<void> {
    await this.write('finish the dispatch', () => {
      for (const attempt of outcome.attempts ?? []) this.upsertAttempt(attempt);
      if (outcome.callback) this.queueCallback(messageId, outcome.callback, now);
      // A receipt may have arrived before the send returned: keep whichever status is further on.
      const current = this.statements.getMessage.get(messageId) as Row | undefined;
      const status =
        current && !canAdvanceStatus(current.status as DeliveryStatus, outcome.status)
          ? (current.status as DeliveryStatus)
          : outcome.status;
      const awaiting = !settled(status);
      this.statements.finish.run({
        id: messageId,
        status,
        providerId: outcome.providerId ?? null,
        providerMessageId: outcome.providerMessageId ?? null,
        routingReason: outcome.routingReason ?? null,
        segments: outcome.segments ?? null,
        costAmount: outcome.cost?.amount ?? null,
        costCurrency: outcome.cost?.currency ?? null,
        errorKind: outcome.error?.kind ?? null,
        errorCode: outcome.error?.code ?? null,
        errorMessage: outcome.error?.message ?? null,
        now,
        sentAt: outcome.providerMessageId ? now : null,
        receiptDueAt: awaiting ? (outcome.receiptDueAt ?? null) : null,
        reconcileAt: awaiting ? (outcome.reconcileAt ?? null) : null,
        routeId: outcome.routeId ?? null,
        migrationId: outcome.migration?.id ?? null,
        migrationSide: outcome.migration?.side ?? null,
        destination: outcome.destination ?? null,
      });
    });
  }

  async scheduleRetry(messageId: string, retry: RetrySchedule, now: number): Promise<void> {
    await this.write('schedule a retry round', () => {
      for (const attempt of retry.attempts) this.upsertAttempt(attempt);
      this.statements.scheduleRetry.run({
        id: messageId,
        nextAttemptAt: retry.nextAttemptAt,
        round: retry.round,
        reason: retry.reason,
        now,
      });
    });
  }

  async releaseDueRetries(now: number, limit: number): Promise<string[]> {
    // Read first: most sweeps find nothing and need no write.
    const due = (this.statements.dueRetries.all(now, limit) as Array<{ id: string }>).map((row) => row.id);
    if (due.length === 0) return [];
    return this.write('release retry rounds', () =>
      due.filter((id) => this.statements.releaseRetry.run(now, id).changes > 0),
    );
  }

  private queueCallback(messageId: string, callback: CallbackRequest, now: number): void {
    const row = this.statements.nextCallbackSequence.get(messageId) as
      | { callback_sequence: number }
      | undefined;
    const sequence = row?.callback_sequence ?? 1;
    this.statements.enqueueCallback.run(
      messageId,
      callback.url,
      // A provider's format is that provider's body: the sequence is kept beside it for ordering.
      callback.format ? callback.body : withSequence(callback.body, sequence),
      now,
      sequence,
      callback.format ? JSON.stringify(callback.format) : null,
    );
  }

  async requeue(messageId: string, now: number): Promise<void> {
    await this.write('requeue', () => this.statements.requeue.run(now, messageId));
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const row = this.statements.getMessage.get(id) as Row | undefined;
    return row ? this.revived(row) : undefined;
  }

  async attempts(messageId: string): Promise<AttemptRecord[]> {
    return (this.statements.attempts.all(messageId) as Row[]).map(toAttempt);
  }

  async events(messageId: string): Promise<EventRecord[]> {
    return (this.statements.events.all(messageId) as Row[]).map((row) => ({
      messageId: row.message_id as string,
      providerId: row.provider_id as string,
      providerMessageId: row.provider_message_id as string,
      status: row.status as DeliveryStatus,
      providerStatus: row.provider_status as string,
      occurredAt: row.occurred_at as number,
      receivedAt: row.received_at as number,
      eventKey: row.event_key as string,
      detail: row.detail ? JSON.parse(row.detail as string) : undefined,
    }));
  }

  async recentByRecipient(
    recipient: string,
    options: { limit: number; before?: RecipientCursor | undefined },
  ): Promise<StoredMessage[]> {
    const before = options.before ?? { createdAt: Number.MAX_SAFE_INTEGER, id: '' };
    const rows = this.statements.byRecipient.all(
      recipient,
      before.createdAt,
      before.id,
      options.limit,
    ) as Row[];
    return rows.map((row) => this.revived(row));
  }

  async findByProviderMessageId(
    providerId: string,
    providerMessageId: string,
    sentSince: number,
  ): Promise<StoredMessage | undefined> {
    const row = this.statements.byProviderMessage.get(providerId, providerMessageId, sentSince) as
      | Row
      | undefined;
    return row ? this.revived(row) : undefined;
  }

  async addEvent(event: EventRecord, callback?: CallbackRequest): Promise<AddEventResult> {
    return this.write('store the event', () => this.recordEvent(event, callback));
  }

  async addWebhookEvents(token: ReplayToken, events: readonly EventWrite[]): Promise<WebhookEventsResult> {
    return this.write('store the webhook', (): WebhookEventsResult => {
      const seen = this.statements.replayToken.get(token.providerId, token.token) as Row | undefined;
      if (seen && seen.content_hash !== token.contentHash) return { outcome: 'replayed' };
      if (!seen) {
        this.statements.insertReplayToken.run(
          token.providerId,
          token.token,
          token.contentHash,
          token.receivedAt,
        );
      }
      return {
        outcome: 'accepted',
        results: events.map(({ event, callback }) => this.recordEvent(event, callback)),
      };
    });
  }

  /** Inside a write: stores the event unless its key was seen, and moves the message forward only. */
  private recordEvent(event: EventRecord, callback: CallbackRequest | undefined): AddEventResult {
    const inserted = this.insertEvent(event);
    const current = this.statements.getMessage.get(event.messageId) as Row | undefined;
    const currentStatus = current?.status as DeliveryStatus;
    if (!inserted) return { stored: false, status: currentStatus, advanced: false };
    if (!canAdvanceStatus(currentStatus, event.status)) {
      return { stored: true, status: currentStatus, advanced: false };
    }
    this.advance(event, callback);
    return { stored: true, status: event.status, advanced: true };
  }

  private insertEvent(event: EventRecord): boolean {
    const inserted = this.statements.insertEvent.run({
      ...event,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    });
    return inserted.changes > 0;
  }

  private advance(event: EventRecord, callback: CallbackRequest | undefined): void {
    const statement = settled(event.status) ? this.statements.settle : this.statements.setStatus;
    statement.run(event.status, event.receivedAt, event.messageId);
    // The first status that says the message reached the recipient (`read` too) sets `delivered_at`.
    if (isDeliveredStatus(event.status)) this.statements.delivered.run(event.receivedAt, event.messageId);
    if (callback) this.queueCallback(event.messageId, callback, event.receivedAt);
  }

  async expireReceipt(event: EventRecord, callback?: CallbackRequest): Promise<boolean> {
    return this.write('end the receipt wait', () => {
      const current = this.statements.getMessage.get(event.messageId) as Row | undefined;
      if (!current || !canAdvanceStatus(current.status as DeliveryStatus, event.status)) return false;
      if (!this.insertEvent(event)) return false;
      this.advance(event, callback);
      return true;
    });
  }

  async overdueReceipts(now: number, limit: number): Promise<StoredMessage[]> {
    return (this.statements.overdueReceipts.all(now, limit) as Row[]).map((row) => this.revived(row));
  }

  async claimReconciliations(now: number, limit: number, leaseMs: number): Promise<StoredMessage[]> {
    const due = (this.statements.dueReconciliations.all(now, limit) as Array<{ id: string }>).map(
      (row) => row.id,
    );
    if (due.length === 0) return [];
    return this.write('lease status look-ups', () => {
      const leased: StoredMessage[] = [];
      for (const id of due) {
        const row = this.statements.leaseReconciliation.get(now + leaseMs, id, now) as Row | undefined;
        if (row) leased.push(this.revived(row));
      }
      return leased;
    });
  }

  async scheduleReconcile(messageId: string, at: number | undefined): Promise<void> {
    await this.write('schedule a status look-up', () =>
      this.statements.scheduleReconcile.run(at ?? null, messageId),
    );
  }

  async queuedIds(limit: number): Promise<string[]> {
    return (this.statements.queuedIds.all(limit) as Array<{ id: string }>).map((row) => row.id);
  }

  async inFlight(): Promise<StoredMessage[]> {
    return (this.statements.inFlight.all() as Row[]).map((row) => this.revived(row));
  }

  async enqueueCallback(messageId: string, url: string, body: string, now: number): Promise<void> {
    await this.write('queue the status callback', () => this.queueCallback(messageId, { url, body }, now));
  }

  async dueCallbacks(now: number, limit: number): Promise<OutboxCallback[]> {
    return (this.statements.dueCallbacks.all(now, limit) as Row[]).map((row) => ({
      id: row.id as number,
      messageId: row.message_id as string,
      sequence: row.sequence as number,
      url: row.url as string,
      body: row.body as string,
      format: row.format ? JSON.parse(row.format as string) : undefined,
      attempts: row.attempts as number,
      nextAttemptAt: row.next_attempt_at as number,
    }));
  }

  async callbackDone(id: number): Promise<void> {
    await this.write('mark the callback sent', () => this.statements.callbackDone.run(id));
  }

  async callbackRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void> {
    await this.write('reschedule the callback', () =>
      this.statements.callbackRetry.run(giveUp ? 'failed' : 'pending', nextAttemptAt, id),
    );
  }

  async countByDispatchState(): Promise<Record<DispatchState, number>> {
    const counts: Record<DispatchState, number> = { queued: 0, 'in-flight': 0, waiting: 0, done: 0 };
    for (const row of this.statements.countStates.all() as Array<{
      dispatch_state: DispatchState;
      count: number;
    }>) {
      counts[row.dispatch_state] = row.count;
    }
    return counts;
  }

  writeOperation(write: OperationWrite, now: number): Promise<void> {
    return this.operations.writeOperation(write, now);
  }

  controls(): Promise<ControlRecord[]> {
    return this.operations.controls();
  }

  audit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.operations.audit(query);
  }

  plans(): Promise<PlanRecord[]> {
    return this.operations.plans();
  }

  checkHistory(
    migrationId: string,
    options: { limit: number; before?: number | undefined },
  ): Promise<CheckRecord[]> {
    return this.operations.checkHistory(migrationId, options);
  }

  destinations(query: Pick<SideQuery, 'migrationId' | 'providers' | 'since' | 'until'>): Promise<string[]> {
    return this.operations.destinations(query);
  }

  sideSample(query: SideQuery): Promise<SideSample> {
    return this.operations.sideSample(query);
  }

  series(query: SeriesQuery): Promise<SeriesPoint[]> {
    return this.operations.series(query);
  }

  recordShadowValidation(record: ShadowValidationRecord): Promise<void> {
    return this.operations.recordShadowValidation(record);
  }

  dueAlerts(now: number, limit: number): Promise<OutboxCallback[]> {
    return this.operations.dueAlerts(now, limit);
  }

  alertDone(id: number): Promise<void> {
    return this.operations.alertDone(id);
  }

  alertRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void> {
    return this.operations.alertRetry(id, nextAttemptAt, giveUp);
  }

  async purgeIdempotency(now: number): Promise<number> {
    return this.write('purge idempotency keys', () => this.statements.purgeIdempotency.run(now).changes);
  }

  writeHealth(): StoreWriteHealth {
    return this.health;
  }

  async probeWrite(now: number): Promise<void> {
    await this.write('write a probe row', () => this.statements.probe.run(now));
  }

  async close(): Promise<void> {
    // Writes already issued are committed before the file closes.
    if (this.pending.length > 0) this.flush();
    if (this.db.open) this.db.close();
  }
}
