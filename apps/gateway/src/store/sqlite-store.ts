import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { canAdvanceStatus, type DeliveryStatus, isDeliveredStatus } from '@msg/core';
import Database from 'better-sqlite3';
import { withSequence } from '../callbacks/callback-body.js';
import type {
  AcceptResult,
  AttemptRecord,
  Backlog,
  CallbackRequest,
  DispatchOutcome,
  DispatchState,
  EventRecord,
  HeldReceiptsBatch,
  HeldReceiptsResult,
  IncomingReceipt,
  MessageStore,
  OutboxCallback,
  ReceiptBatch,
  ReceiptResult,
  ReceiptsResult,
  RecipientCursor,
  RetrySchedule,
  StoredMessage,
  StoreWriteHealth,
} from './message-store.js';
import { OperationsDelegate } from './operations-delegate.js';
import { recipientsOf } from './recipients.js';
import type { SessionRecord } from './session-store.js';
import { SqliteCampaigns } from './sqlite-campaigns.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { SqliteLedger } from './sqlite-ledger.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { SqliteOperations } from './sqlite-operations.js';
import { SqliteReader } from './sqlite-reader.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { GroupCommitWriter } from './sqlite-writer.js';
import { StoreUnavailableError } from './store-error.js';
import {
  type Row,
  serialize,
  settled,
  toAttempt,
  toCallback,
  toEvent,
  toMessage,
  toReceiptTarget,
  toRevivedMessage,
} from './store-rows.js';

export { StoreUnavailableError };

export interface SqliteStoreOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** `normal` survives a process crash (kill -9); `full` also a power loss, at a cost per write. */
  synchronous?: 'normal' | 'full';
  /** The writer's page cache in MiB, with background checkpoints (SQLite's own 2 MiB otherwise). */
  cacheMb?: number;
  /** Open without write access (inspection tools; tests of the unwritable-store path). */
  readonly?: boolean;
  /**
   * Group commit: writes issued in one event-loop turn share one transaction (see
   * `GroupCommitWriter`). On by default; every promise still resolves only after its commit.
   */
  groupCommit?: boolean;
  /**
   * `background`: WAL checkpoints run in a worker thread instead of inside the writer's commits
   * (see `SqliteCheckpointer`), and the page cache is 64 MiB instead of SQLite's 2 MiB, so writes
   * stay as cheap on a store of millions of messages as on an empty one. `writer` (the default):
   * SQLite's own behaviour.
   */
  checkpoints?: 'background' | 'writer';
}

/**
 * Embedded store on SQLite (WAL): one file, nothing to install. It serves one gateway process:
 * the in-flight messages of a dispatcher instance this process does not run (one of a process
 * that died, or stopped) are recoverable at once, whatever its lease said.
 */
export class SqliteMessageStore extends OperationsDelegate implements MessageStore {
  private readonly db: Database.Database;
  private readonly statements;
  protected readonly operations: SqliteOperations;
  private readonly sessions: SqliteSessions;
  readonly ledger: SqliteLedger;
  readonly campaigns: SqliteCampaigns;
  private readonly writer: GroupCommitWriter;
  private readonly queuedListeners = new Set<() => void>();
  /** A write of the batch being committed queued messages: dispatchers are woken after the commit. */
  private queuedInBatch = false;
  private readonly checkpointer: SqliteCheckpointer | undefined;
  private readonly reader: SqliteReader | undefined;
  /** Dispatcher instances this process runs (registered by `renewLease`). */
  private readonly running = new Set<string>();

  constructor(options: SqliteStoreOptions) {
    super();
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
      if (options.checkpoints === 'background' && !options.readonly && options.path !== ':memory:') {
        this.db.pragma(`cache_size = -${Math.round((options.cacheMb ?? 16) * 1024)}`);
        this.checkpointer = new SqliteCheckpointer(this.db, options.path);
        this.reader = new SqliteReader(this.db, options.path);
      }
    } catch (error) {
      throw new StoreUnavailableError(`cannot open ${options.path}: ${(error as Error).message}`, error);
    }
    const db = this.db;
    this.writer = new GroupCommitWriter(
      {
        transaction: (work) => db.transaction(work)(),
        commit: (work) => this.commit(work),
        isOpen: () => db.open,
        afterCommit: () => this.afterCommit(),
      },
      options.groupCommit ?? true,
    );
    this.statements = {
      insertMessage: db.prepare(
        `INSERT INTO messages (id, channel, payload, status, dispatch_state, api_key_id, idempotency_key, callback_url,
           ingress, override_provider, override_route, created_at, updated_at, claimed_by, campaign_id, charge_account,
           charge_held)
         VALUES (@id, @channel, @payload, @status, @dispatchState, @apiKeyId, @idempotencyKey, @callbackUrl,
           @ingress, @overrideProvider, @overrideRoute, @createdAt, @updatedAt, @claimedBy, @campaignId, @chargeAccount,
           @chargeHeld)`,
      ),
      getMessage: db.prepare('SELECT * FROM messages WHERE id = ?'),
      // What finishing a dispatch reads of the message: not its payload, which can be kilobytes.
      finishing: db.prepare(
        `SELECT status, charged, dispatch_state, charge_held, charge_account, campaign_id, api_key_id, provider_id,
           error_kind FROM messages WHERE id = ?`,
      ),
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
      renewLease: db.prepare(
        `INSERT INTO dispatch_instances (id, lease_until, started_at) VALUES (@id, @leaseUntil, @now)
         ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until`,
      ),
      forgetInstances: db.prepare('DELETE FROM dispatch_instances WHERE lease_until < ? AND id != ?'),
      // The oldest queued messages, through messages_dispatch (dispatch state, then acceptance time).
      nextQueued: db.prepare(
        `SELECT id FROM messages WHERE dispatch_state = 'queued' ORDER BY created_at LIMIT ?`,
      ),
      claim: db.prepare(
        `UPDATE messages SET dispatch_state = 'in-flight', claimed_by = ?, updated_at = ?
         WHERE id = ? AND dispatch_state = 'queued' RETURNING *`,
      ),
      // Left in flight by an instance whose lease ended, or by one this process does not run (one
      // process per file: another one's instances are gone), never by the caller.
      abandoned: db.prepare(
        `SELECT id FROM messages AS m WHERE dispatch_state = 'in-flight' AND (claimed_by IS NULL
           OR (claimed_by != @instanceId AND (claimed_by NOT IN (SELECT value FROM json_each(@running))
             OR NOT EXISTS (SELECT 1 FROM dispatch_instances AS i WHERE i.id = m.claimed_by AND i.lease_until >= @now))))
         ORDER BY created_at LIMIT @limit`,
      ),
      takeOver: db.prepare(
        `UPDATE messages SET claimed_by = ?, updated_at = ? WHERE id = ? AND dispatch_state = 'in-flight' RETURNING *`,
      ),
      backlog: db.prepare(
        `SELECT COUNT(*) AS queued, MIN(created_at) AS oldest FROM messages WHERE dispatch_state = 'queued'`,
      ),
      backlogByKey: db.prepare(
        `SELECT api_key_id, COUNT(*) AS queued FROM messages INDEXED BY messages_queued_by_key
         WHERE dispatch_state = 'queued' GROUP BY api_key_id`,
      ),
      prunable: db.prepare(
        `SELECT id, payload, created_at FROM messages WHERE dispatch_state = 'done' AND created_at < ?
         ORDER BY created_at LIMIT ?`,
      ),
      pruneRecipient: db.prepare(
        'DELETE FROM message_recipients WHERE recipient = ? AND created_at = ? AND message_id = ?',
      ),
      pruneEvents: db.prepare('DELETE FROM events WHERE message_id = ?'),
      pruneAttempts: db.prepare('DELETE FROM attempts WHERE message_id = ?'),
      pruneCallbacks: db.prepare('DELETE FROM callback_outbox WHERE message_id = ?'),
      pruneShadow: db.prepare('DELETE FROM shadow_validations WHERE message_id = ?'),
      pruneMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
      pruneReplayTokens: db.prepare(
        `DELETE FROM webhook_replay_tokens WHERE rowid IN
           (SELECT rowid FROM webhook_replay_tokens WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
      ),
      attemptCount: db.prepare(
        'SELECT COALESCE(MAX(sequence), 0) AS count FROM attempts WHERE message_id = ?',
      ),
      scheduleRetry: db.prepare(
        `UPDATE messages SET dispatch_state = 'waiting', next_attempt_at = @nextAttemptAt, retry_round = @round,
           retry_reason = @reason, updated_at = @now, claimed_by = NULL
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
      requeue: db.prepare(
        `UPDATE messages SET dispatch_state = 'queued', claimed_by = NULL, updated_at = ? WHERE id = ?`,
      ),
      // An attempt still in flight is written only if nothing is there yet: its outcome, if already
      // stored, is never put back in flight.
      startAttempt: db.prepare(
        `INSERT INTO attempts (message_id, sequence, provider_id, started_at, outcome, possible_duplicate, reason, migration_id)
         VALUES (@messageId, @sequence, @providerId, @startedAt, 'in-flight', @possibleDuplicate, @reason, @migrationId)
         ON CONFLICT (message_id, sequence) DO NOTHING`,
      ),
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
           claimed_by = NULL, delivered_at = CASE WHEN @status IN ('delivered', 'opened', 'clicked', 'complained')
             THEN COALESCE(delivered_at, @now) ELSE delivered_at END
         WHERE id = @id`,
      ),
      settle: db.prepare('UPDATE messages SET charged = ?, bulk_id = ? WHERE id = ?'),
      campaignOf: db.prepare(
        'SELECT campaign_id, status, provider_id, error_kind FROM messages WHERE id = ?',
      ),
      attempts: db.prepare('SELECT * FROM attempts WHERE message_id = ? ORDER BY sequence'),
      events: db.prepare('SELECT * FROM events WHERE message_id = ? ORDER BY id'),
      // What receipts need of a message, without its payload.
      receiptTarget: db.prepare(
        'SELECT id, callback_url, created_at, migration_side, status FROM messages WHERE id = ?',
      ),
      receiptTargetBySend: db.prepare(
        `SELECT id, callback_url, created_at, migration_side, status FROM messages
         WHERE provider_id = ? AND provider_message_id = ? AND sent_at >= ?
         ORDER BY sent_at DESC, rowid DESC LIMIT 1`,
      ),
      holdReceipt: db.prepare(
        `INSERT INTO held_receipts (provider_id, provider_message_id, receipt, sent_since, hold_until)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      // A held receipt whose send is stored now: the join walks the (small) held table and looks
      // each up through messages_provider.
      heldMatched: db.prepare(
        `SELECT held.id, held.provider_id, held.receipt, held.sent_since FROM held_receipts AS held
         WHERE EXISTS (SELECT 1 FROM messages AS message WHERE message.provider_id = held.provider_id
           AND message.provider_message_id = held.provider_message_id AND message.sent_at >= held.sent_since)
         ORDER BY held.id LIMIT ?`,
      ),
      heldExpired: db.prepare(
        'SELECT id, provider_id, provider_message_id FROM held_receipts WHERE hold_until <= ? ORDER BY hold_until LIMIT ?',
      ),
      deleteHeld: db.prepare('DELETE FROM held_receipts WHERE id = ?'),
      status: db.prepare('SELECT status FROM messages WHERE id = ?'),
      insertEvent: db.prepare(
        `INSERT OR IGNORE INTO events (message_id, provider_id, provider_message_id, status, provider_status, occurred_at,
           received_at, event_key, detail)
         VALUES (@messageId, @providerId, @providerMessageId, @status, @providerStatus, @occurredAt, @receivedAt, @eventKey, @detail)`,
      ),
      // One statement per move: the status, and when the message is settled (final, or the
      // deadline's unknown) the end of the receipt wait and look-ups, and the first delivery time.
      advance: db.prepare(
        `UPDATE messages SET status = @status, updated_at = @at,
           receipt_due_at = CASE WHEN @settled THEN NULL ELSE receipt_due_at END,
           reconcile_at = CASE WHEN @settled THEN NULL ELSE reconcile_at END,
           delivered_at = CASE WHEN @delivered THEN COALESCE(delivered_at, @at) ELSE delivered_at END
         WHERE id = @id`,
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
    this.sessions = new SqliteSessions(db, (what, run) => this.write(what, run));
    this.operations = new SqliteOperations(db, (what, run) => this.write(what, run), this.reader);
    this.ledger = new SqliteLedger(db, (what, run) => this.write(what, run));
    this.campaigns = new SqliteCampaigns(db, {
      write: (what, run) => this.write(what, run),
      ledger: this.ledger,
      insertMessage: (message, claimedBy) =>
        this.insertMessage(message, serialize(message.message), claimedBy),
      toMessage,
      queueCallback: (messageId, callback, now) => this.queueCallback(messageId, callback, now),
    });
  }

  private afterCommit(): void {
    if (!this.queuedInBatch) return;
    this.queuedInBatch = false;
    for (const listener of this.queuedListeners) listener();
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

  /** A write through the group commit (see `GroupCommitWriter`). */
  private write<T>(what: string, run: () => T): Promise<T> {
    return this.writer.write(what, run);
  }

  /**
   * Runs `work` in one transaction and commits it. The one place a commit happens, so a test can
   * make it fail as a full disk would.
   */
  protected commit<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  async accept(
    message: StoredMessage,
    idempotency?: { key: string; requestHash: string; expiresAt: number },
    claim?: { instanceId: string },
  ): Promise<AcceptResult> {
    // Serialised before the write: the transaction holds only SQLite's own work.
    const payload = serialize(message.message);
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
      this.reserveFor(message);
      this.insertMessage(message, payload, claim?.instanceId);
      if (claim)
        return { outcome: 'created', message: { ...message, dispatchState: 'in-flight', attemptCount: 0 } };
      return { outcome: 'created', message };
    });
  }

  /** Inside a write: a message's own reservation (a campaign's messages share the campaign's). */
  private reserveFor(message: StoredMessage): void {
    if (!message.charge || message.campaignId !== undefined) return;
    this.ledger.reserveInWrite(
      message.charge.account,
      message.charge.heldMicros,
      { messageId: message.id },
      message.createdAt,
    );
  }

  /** Inside a write: a new message, queued (waking dispatchers after the commit) or claimed by `claimedBy`. */
  private insertMessage(message: StoredMessage, payload: string, claimedBy?: string): void {
    this.statements.insertMessage.run({
      id: message.id,
      channel: message.channel,
      payload,
      status: message.status,
      dispatchState: claimedBy ? 'in-flight' : message.dispatchState,
      apiKeyId: message.apiKeyId,
      idempotencyKey: message.idempotencyKey ?? null,
      callbackUrl: message.callbackUrl ?? null,
      ingress: message.ingress ? JSON.stringify(message.ingress) : null,
      overrideProvider: message.overrideProvider ?? null,
      overrideRoute: message.overrideRoute ?? null,
      createdAt: message.createdAt,
      updatedAt: message.updatedAt,
      claimedBy: claimedBy ?? null,
      campaignId: message.campaignId ?? null,
      chargeAccount: message.charge?.account ?? null,
      chargeHeld: message.charge?.heldMicros ?? null,
    });
    for (const recipient of recipientsOf(message.message)) {
      this.statements.insertRecipient.run(recipient, message.createdAt, message.id);
    }
    if (!claimedBy && message.dispatchState === 'queued') this.queuedInBatch = true;
  }

  async acceptAll(messages: readonly StoredMessage[]): Promise<void> {
    const payloads = messages.map((message) => serialize(message.message));
    // One write: if any insert fails, the write fails whole (see GroupCommitWriter).
    await this.write('store the messages', () => {
      messages.forEach((message, index) => {
        this.reserveFor(message);
        this.insertMessage(message, payloads[index] as string);
      });
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

  async renewLease(instanceId: string, leaseUntil: number, now: number): Promise<void> {
    // Run by this process from now on, even if the write fails (a full disk): see `abandoned`.
    const first = !this.running.has(instanceId);
    this.running.add(instanceId);
    await this.write('renew the dispatch lease', () => {
      if (first) this.statements.forgetInstances.run(now - 86_400_000, instanceId);
      this.statements.renewLease.run({ id: instanceId, leaseUntil, now });
    });
  }

  async claimNext(instanceId: string, limit: number, now: number): Promise<StoredMessage[]> {
    if (limit <= 0) return [];
    // Read first: an idle wake-up finds nothing and needs no write.
    if (this.statements.nextQueued.all(1).length === 0) return [];
    return this.write('claim messages', () => {
      const claimed: StoredMessage[] = [];
      for (const { id } of this.statements.nextQueued.all(limit) as Array<{ id: string }>) {
        const row = this.statements.claim.get(instanceId, now, id) as Row | undefined;
        if (row) claimed.push(this.withAttemptCount(row));
      }
      return claimed;
    });
  }

  async takeOverInFlight(instanceId: string, now: number, limit: number): Promise<StoredMessage[]> {
    const running = JSON.stringify([...this.running]);
    const ids = (
      this.statements.abandoned.all({ instanceId, now, limit, running }) as Array<{ id: string }>
    ).map((row) => row.id);
    if (ids.length === 0) return [];
    return this.write('take over in-flight messages', () => {
      const taken: StoredMessage[] = [];
      for (const id of ids) {
        const row = this.statements.takeOver.get(instanceId, now, id) as Row | undefined;
        if (row) taken.push(this.withAttemptCount(row));
      }
      return taken;
    });
  }

  private withAttemptCount(row: Row): StoredMessage {
    const message = this.revived(row);
    message.attemptCount = (this.statements.attemptCount.get(message.id) as { count: number }).count;
    return message;
  }

  onQueued(listener: () => void): () => void {
    this.queuedListeners.add(listener);
    return () => this.queuedListeners.delete(listener);
  }

  async backlog(_now: number): Promise<Backlog> {
    const totals = this.statements.backlog.get() as { queued: number; oldest: number | null };
    const byApiKey: Record<string, number> = {};
    if (totals.queued > 0) {
      for (const row of this.statements.backlogByKey.all() as Array<{ api_key_id: string; queued: number }>) {
        byApiKey[row.api_key_id] = row.queued;
      }
    }
    return { queued: totals.queued, oldestQueuedAt: totals.oldest ?? undefined, byApiKey };
  }

  async pruneFinished(before: number, limit: number): Promise<number> {
    const rows = this.statements.prunable.all(before, limit) as Array<{
      id: string;
      payload: string;
      created_at: number;
    }>;
    // The recipient index is keyed by recipient: its rows are found from the message's own `to`.
    const recipients = rows.map((row) => recipientsOf(JSON.parse(row.payload)));
    return this.write('prune finished messages', () => {
      rows.forEach((row, index) => {
        for (const recipient of recipients[index] ?? []) {
          this.statements.pruneRecipient.run(recipient, row.created_at, row.id);
        }
      });
      const ids = rows.map((row) => row.id);
      for (const id of ids) {
        this.statements.pruneEvents.run(id);
        this.statements.pruneAttempts.run(id);
        this.statements.pruneCallbacks.run(id);
        this.statements.pruneShadow.run(id);
        this.statements.pruneMessage.run(id);
      }
      this.statements.pruneReplayTokens.run(before, limit);
      return ids.length;
    });
  }

  private revived(row: Row): StoredMessage {
    return toRevivedMessage(row);
  }

  private upsertAttempt(attempt: AttemptRecord): void {
    const statement =
      attempt.outcome === 'in-flight' ? this.statements.startAttempt : this.statements.upsertAttempt;
    statement.run({
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
      const current = this.statements.finishing.get(messageId) as Row | undefined;
      const status =
        current && !canAdvanceStatus(current.status as DeliveryStatus, outcome.status)
          ? (current.status as DeliveryStatus)
          : outcome.status;
      const awaiting = !settled(status);
      const accepted = outcome.providerMessageId !== undefined;
      if (current && current.charged == null && current.dispatch_state !== 'done') {
        const held = (current.charge_held as number | null) ?? 0;
        const debit = accepted ? (outcome.costMicros ?? held) : undefined;
        this.ledger.settleInWrite(
          {
            messageId,
            account: (current.charge_account as string | null) ?? undefined,
            heldMicros: held,
            debitMicros: debit,
            providerId: outcome.providerId,
            migrationSide: outcome.migration?.side,
            campaignId: (current.campaign_id as string | null) ?? undefined,
            apiKeyId: current.api_key_id as string,
          },
          now,
        );
        this.statements.settle.run(debit ?? 0, outcome.bulkId ?? null, messageId);
        if (current.campaign_id != null) {
          this.campaigns.moveInWrite(
            current.campaign_id as string,
            {
              status: current.status as string,
              providerId: current.provider_id as string | null,
              errorKind: current.error_kind as string | null,
            },
            { status, providerId: outcome.providerId, errorKind: outcome.error?.kind },
            debit ?? 0,
          );
        }
      }
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
    return this.write('release retry rounds', () => {
      const released = due.filter((id) => this.statements.releaseRetry.run(now, id).changes > 0);
      if (released.length > 0) this.queuedInBatch = true;
      return released;
    });
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
    await this.write('requeue', () => {
      if (this.statements.requeue.run(now, messageId).changes > 0) this.queuedInBatch = true;
    });
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const row = this.statements.getMessage.get(id) as Row | undefined;
    return row ? this.revived(row) : undefined;
  }

  async attempts(messageId: string): Promise<AttemptRecord[]> {
    return (this.statements.attempts.all(messageId) as Row[]).map(toAttempt);
  }

  async events(messageId: string): Promise<EventRecord[]> {
    return (this.statements.events.all(messageId) as Row[]).map(toEvent);
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

  async recordReceipts(batch: ReceiptBatch): Promise<ReceiptsResult> {
    return this.write('store the receipts', (): ReceiptsResult => {
      const token = batch.replay;
      if (token) {
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
      }
      return {
        outcome: 'accepted',
        results: batch.receipts.map((receipt) => this.recordReceipt(batch, receipt)),
      };
    });
  }

  /** Inside a write: matches the receipt's message, stores the event unless its key was seen, moves forward only. */
  private recordReceipt(batch: ReceiptBatch, receipt: ReceiptBatch['receipts'][number]): ReceiptResult {
    const row = ((receipt.messageId ? this.statements.receiptTarget.get(receipt.messageId) : undefined) ??
      this.statements.receiptTargetBySend.get(
        batch.providerId,
        receipt.event.providerMessageId,
        batch.sentSince,
      )) as Row | undefined;
    if (!row) {
      if (receipt.messageId !== undefined || batch.holdUnmatchedUntil === undefined) {
        return { outcome: 'unknown-message' };
      }
      this.statements.holdReceipt.run(
        batch.providerId,
        receipt.event.providerMessageId,
        JSON.stringify(receipt),
        batch.sentSince,
        batch.holdUnmatchedUntil,
      );
      return { outcome: 'held' };
    }
    const message = toReceiptTarget(row);
    const event: EventRecord = { ...receipt.event, messageId: message.id };
    const current = row.status as DeliveryStatus;
    if (!this.insertEvent(event)) return { outcome: 'duplicate', message, status: current, advanced: false };
    if (!canAdvanceStatus(current, event.status)) {
      return { outcome: 'stored', message, status: current, advanced: false };
    }
    // Only a message with a callback is read whole (its payload parsed): the callback may need it.
    const callback = message.callbackUrl
      ? batch.callback(this.revived(this.statements.getMessage.get(message.id) as Row), event)
      : undefined;
    this.advance(event, callback);
    return { outcome: 'stored', message, status: event.status, advanced: true };
  }

  async matchHeldReceipts(batch: HeldReceiptsBatch): Promise<HeldReceiptsResult> {
    return this.write('match held receipts', (): HeldReceiptsResult => {
      const matched: HeldReceiptsResult['matched'] = [];
      for (const row of this.statements.heldMatched.all(batch.limit) as Row[]) {
        const providerId = row.provider_id as string;
        const receipt = JSON.parse(row.receipt as string) as IncomingReceipt;
        const result = this.recordReceipt(
          { providerId, receipts: [receipt], sentSince: row.sent_since as number, callback: batch.callback },
          receipt,
        );
        this.statements.deleteHeld.run(row.id);
        matched.push({ providerId, receipt, result });
      }
      const expired = (this.statements.heldExpired.all(batch.now, batch.limit) as Row[]).map((row) => {
        this.statements.deleteHeld.run(row.id);
        return {
          providerId: row.provider_id as string,
          providerMessageId: row.provider_message_id as string,
        };
      });
      return { matched, expired };
    });
  }

  private insertEvent(event: EventRecord): boolean {
    const inserted = this.statements.insertEvent.run({
      ...event,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    });
    return inserted.changes > 0;
  }

  private advance(event: EventRecord, callback: CallbackRequest | undefined): void {
    const counted = this.statements.campaignOf.get(event.messageId) as Row | undefined;
    if (counted?.campaign_id != null) {
      const where = {
        providerId: counted.provider_id as string | null,
        errorKind: counted.error_kind as string | null,
      };
      this.campaigns.moveInWrite(
        counted.campaign_id as string,
        { status: counted.status as string, ...where },
        { status: event.status, ...where },
        0,
      );
    }
    this.statements.advance.run({
      id: event.messageId,
      status: event.status,
      at: event.receivedAt,
      settled: settled(event.status) ? 1 : 0,
      delivered: isDeliveredStatus(event.status) ? 1 : 0,
    });
    if (callback) this.queueCallback(event.messageId, callback, event.receivedAt);
  }

  async expireReceipt(event: EventRecord, callback?: CallbackRequest): Promise<boolean> {
    return this.write('end the receipt wait', () => {
      const current = this.statements.status.get(event.messageId) as Row | undefined;
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

  async enqueueCallback(messageId: string, url: string, body: string, now: number): Promise<void> {
    await this.write('queue the status callback', () => this.queueCallback(messageId, { url, body }, now));
  }

  async dueCallbacks(now: number, limit: number): Promise<OutboxCallback[]> {
    return (this.statements.dueCallbacks.all(now, limit) as Row[]).map(toCallback);
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

  createSession(session: SessionRecord, limits: { idleSince: number; max: number }): Promise<void> {
    return this.sessions.createSession(session, limits);
  }

  getSession(hash: string): Promise<SessionRecord | undefined> {
    return this.sessions.getSession(hash);
  }

  touchSession(hash: string, lastSeenAt: number): Promise<void> {
    return this.sessions.touchSession(hash, lastSeenAt);
  }

  deleteSession(hash: string): Promise<void> {
    return this.sessions.deleteSession(hash);
  }

  async purgeIdempotency(now: number): Promise<number> {
    return this.write('purge idempotency keys', () => this.statements.purgeIdempotency.run(now).changes);
  }

  writeHealth(): StoreWriteHealth {
    return this.writer.writeHealth;
  }

  async probeWrite(now: number): Promise<void> {
    await this.write('write a probe row', () => this.statements.probe.run(now));
  }

  async close(): Promise<void> {
    // Writes already issued are committed before the file closes.
    this.writer.flush();
    if (this.reader) await this.reader.stop();
    if (this.checkpointer) await this.checkpointer.stop();
    if (this.db.open) this.db.close();
  }
}
