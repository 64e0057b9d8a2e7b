import { randomBytes } from 'node:crypto';
import { canAdvanceStatus, type DeliveryStatus, isDeliveredStatus } from '@msg/core';
import type { Client, PoolClient } from 'pg';
import { withSequence } from '../../callbacks/callback-body.js';
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
} from '../message-store.js';
import { OperationsDelegate } from '../operations-delegate.js';
import { recipientsOf } from '../recipients.js';
import type { SessionRecord } from '../session-store.js';
import { StoreUnavailableError } from '../store-error.js';
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
} from '../store-rows.js';
import { addCounts, type CountDelta, moveDeltas, PostgresCampaigns } from './postgres-campaigns.js';
import {
  checkSchemaName,
  loadPg,
  migratePostgres,
  numericTypes,
  type PgModule,
  PostgresConnection,
} from './postgres-connection.js';
import { PostgresLedger } from './postgres-ledger.js';
import { PostgresOperations } from './postgres-operations.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database`. */
  url: string;
  /** Connections in this instance's pool. */
  poolSize?: number | undefined;
  /** The schema the gateway's tables live in (created when missing). */
  schema?: string | undefined;
  /**
   * How long a status callback or alert handed to this instance's worker stays its own: another
   * instance sends it only after that (the worker died mid-send).
   */
  outboxLeaseMs?: number | undefined;
  /** PostgreSQL's `synchronous_commit` for this instance's connections (default `on`). */
  synchronousCommit?: 'on' | 'off' | undefined;
  /** `pg`, when the caller has it already (tests); loaded on demand otherwise. */
  pg?: PgModule | undefined;
}

type Queryable = Pick<PoolClient, 'query'>;

const MESSAGE_COLUMNS = `id, channel, payload, status, dispatch_state, api_key_id, idempotency_key, callback_url,
  ingress, override_provider, created_at, updated_at, claimed_by, campaign_id, charge_account, charge_held,
  override_route`;
/** The number of stored attempts, returned with a claimed message so a re-dispatch continues their numbering. */
const ATTEMPT_COUNT =
  '(SELECT COALESCE(MAX(a.sequence), 0) FROM attempts AS a WHERE a.message_id = m.id) AS attempt_count';

const byOrder = (left: Row, right: Row) =>
  (left.order_at as number) - (right.order_at as number) || (left.seq as number) - (right.seq as number);

/** The message and its recipient-index rows, in one statement. */
function messageInsert(message: StoredMessage, payload: string, claimedBy?: string): [string, unknown[]] {
  return [
    `WITH inserted AS (
         INSERT INTO messages (${MESSAGE_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $18) RETURNING id)
       INSERT INTO message_recipients (recipient, created_at, message_id)
         SELECT recipient, $11, (SELECT id FROM inserted) FROM unnest($17::text[]) AS recipient
       ON CONFLICT DO NOTHING`,
    [
      message.id,
      message.channel,
      payload,
      message.status,
      claimedBy ? 'in-flight' : message.dispatchState,
      message.apiKeyId,
      message.idempotencyKey ?? null,
      message.callbackUrl ?? null,
      message.ingress ? JSON.stringify(message.ingress) : null,
      message.overrideProvider ?? null,
      message.createdAt,
      message.updatedAt,
      claimedBy ?? null,
      message.campaignId ?? null,
      message.charge?.account ?? null,
      message.charge?.heldMicros ?? null,
      recipientsOf(message.message),
      message.overrideRoute ?? null,
    ],
  ];
}

function withAttemptCount(row: Row): StoredMessage {
  const message = toRevivedMessage(row);
  message.attemptCount = row.attempt_count as number;
  return message;
}

/**
 * Opens the store: loads `pg`, applies the schema migrations under an advisory lock, and starts
 * listening for queued messages.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresMessageStore> {
  const pg = options.pg ?? (await loadPg());
  const schema = checkSchemaName(options.schema ?? 'public');
  const config = {
    connectionString: options.url,
    options: `-c search_path="${schema}" -c synchronous_commit=${options.synchronousCommit ?? 'on'}`,
    types: numericTypes(pg),
  };
  const pool = new pg.Pool({
    ...config,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection the server dropped is replaced on next use; its error must not crash the process.
  pool.on('error', () => {});
  // A server that cannot be reached (yet) is an outage the gateway waits out, not a bad config.
  const unavailable = (error: unknown) =>
    StoreUnavailableError.isInstance(error)
      ? error
      : new StoreUnavailableError(`cannot open the PostgreSQL store: ${(error as Error).message}`, error);
  try {
    await migratePostgres(pool, schema);
  } catch (error) {
    await pool.end().catch(() => {});
    throw unavailable(error);
  }
  const store = new PostgresMessageStore(
    pool,
    schema,
    options.outboxLeaseMs ?? 60_000,
    () => new pg.Client(config),
  );
  try {
    await store.listen();
  } catch (error) {
    await store.close();
    throw unavailable(error);
  }
  return store;
}

/**
 * The scale-out store on PostgreSQL: many gateway instances share it. Dispatchers claim queued
 * messages with `FOR UPDATE SKIP LOCKED`, each claim under its instance's lease; the in-flight
 * messages of an instance whose lease ended (it died) are taken over by another. A commit that
 * queues messages is followed by a NOTIFY, which wakes the idle dispatchers of every instance.
 */
export class PostgresMessageStore extends OperationsDelegate implements MessageStore {
  private readonly connection: PostgresConnection;
  protected readonly operations: PostgresOperations;
  private readonly queuedListeners = new Set<() => void>();
  /** Names this store object in NOTIFY payloads and outbox leases. */
  private readonly token = randomBytes(8).toString('hex');
  private readonly channel: string;
  /** Dispatcher instances this store object serves: their leases end when it closes. */
  private readonly running = new Set<string>();
  private listener: Client | undefined;
  private closed = false;
  private leading = false;
  private notifying = false;
  private notifyAgain = false;
  readonly shared = true;
  readonly ledger: PostgresLedger;
  readonly campaigns: PostgresCampaigns;
  /** Counter moves a batch of receipts applies at its end, by the batch's client. */
  private readonly deferredCounts = new WeakMap<Queryable, CountDelta[]>();

  constructor(
    readonly pool: import('pg').Pool,
    readonly schema: string,
    private readonly outboxLeaseMs: number,
    private readonly newClient: () => Client,
  ) {
    super();
    this.connection = new PostgresConnection(pool);
    this.channel = `msg_queued_${schema}`;
    this.operations = new PostgresOperations(this.connection, this.token, outboxLeaseMs);
    this.ledger = new PostgresLedger(this.connection);
    this.campaigns = new PostgresCampaigns({
      connection: this.connection,
      ledger: this.ledger,
      insertMessage: (client, message, claimedBy) =>
        this.insertMessage(client, message, serialize(message.message), claimedBy),
      queued: () => this.queued(),
      queueCallback: (client, messageId, callback, now) =>
        this.queueCallback(client, messageId, callback, now),
    });
  }

  /** LISTENs on its own connection, reconnecting when it is lost (the lease timer wakes dispatchers meanwhile). */
  async listen(): Promise<void> {
    if (this.closed) return;
    const client = this.newClient();
    client.on('notification', (notification) => {
      if (notification.payload !== this.token) this.wakeListeners();
    });
    client.on('error', () => {
      // The session's advisory lock went with the connection.
      if (this.listener === client) {
        this.listener = undefined;
        this.leading = false;
      }
      client.end().catch(() => {});
      if (!this.closed) setTimeout(() => this.listen().catch(() => this.retryListen()), 1000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      this.listener = client;
      // Messages queued while no one listened are found now.
      if (!this.closed) this.wakeListeners();
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }

  private retryListen(): void {
    if (!this.closed) setTimeout(() => this.listen().catch(() => this.retryListen()), 1000).unref();
  }

  private wakeListeners(): void {
    for (const listener of this.queuedListeners) listener();
  }

  /**
   * After a commit that queued messages: this process's dispatchers at once, the other instances'
   * through a NOTIFY sent after the commit, not inside it. PostgreSQL serialises the commits of
   * notifying transactions (one lock on the notification queue, held through the commit), so a
   * NOTIFY in every accept would queue the accepts behind each other; a NOTIFY of its own, at most
   * one at a time and one more waiting, keeps it off the accept's path and still wakes every idle
   * dispatcher (and if it is lost, the lease timer wakes them).
   */
  private queued(): void {
    this.wakeListeners();
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    this.pool
      .query('SELECT pg_notify($1, $2)', [this.channel, this.token])
      .catch(() => {})
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain && !this.closed) {
          this.notifyAgain = false;
          this.queued();
        }
      });
  }

  private insertMessage(client: Queryable, message: StoredMessage, payload: string, claimedBy?: string) {
    return client.query(...messageInsert(message, payload, claimedBy));
  }

  /** Inside a transaction: a message's own reservation (a campaign's messages share the campaign's). */
  private async reserveFor(client: Queryable, message: StoredMessage): Promise<void> {
    if (!message.charge || message.campaignId !== undefined) return;
    await this.ledger.reserveIn(
      client,
      message.charge.account,
      message.charge.heldMicros,
      { messageId: message.id },
      message.createdAt,
    );
  }

  async accept(
    message: StoredMessage,
    idempotency?: { key: string; requestHash: string; expiresAt: number },
    claim?: { instanceId: string },
  ): Promise<AcceptResult> {
    // A charged message reserves its credit in the transaction that stores it.
    if (idempotency || message.charge) return this.acceptOnce(message, idempotency, claim);
    // One statement (the message and its recipient rows), committed on its own: one round trip.
    await this.connection.run(
      'store the message',
      ...messageInsert(message, serialize(message.message), claim?.instanceId),
    );
    if (claim)
      return { outcome: 'created', message: { ...message, dispatchState: 'in-flight', attemptCount: 0 } };
    if (message.dispatchState === 'queued') this.queued();
    return { outcome: 'created', message };
  }

  /**
   * An accept with an idempotency key or a charge: the key, the credit reservation and the message
   * in one transaction (`InsufficientCreditError` when the balance is short: nothing is stored).
   */
  private async acceptOnce(
    message: StoredMessage,
    idempotency: { key: string; requestHash: string; expiresAt: number } | undefined,
    claim?: { instanceId: string },
  ): Promise<AcceptResult> {
    const payload = serialize(message.message);
    const queued = !claim && message.dispatchState === 'queued';
    const result = await this.connection.transaction(
      'store the message',
      async (client): Promise<AcceptResult> => {
        if (idempotency) {
          // Takes the key when it is new or its window ended; a live key (perhaps stored by another
          // instance a moment ago) is read and compared instead.
          const taken = await client.query(
            `INSERT INTO idempotency_keys (api_key_id, key, request_hash, message_id, expires_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (api_key_id, key) DO UPDATE SET request_hash = excluded.request_hash,
             message_id = excluded.message_id, expires_at = excluded.expires_at
           WHERE idempotency_keys.expires_at <= $6 RETURNING message_id`,
            [
              message.apiKeyId,
              idempotency.key,
              idempotency.requestHash,
              message.id,
              idempotency.expiresAt,
              message.createdAt,
            ],
          );
          if (taken.rowCount === 0) {
            const existing = (
              await client.query('SELECT * FROM idempotency_keys WHERE api_key_id = $1 AND key = $2', [
                message.apiKeyId,
                idempotency.key,
              ])
            ).rows[0] as Row;
            if (existing.request_hash !== idempotency.requestHash) {
              return { outcome: 'conflict', messageId: existing.message_id as string };
            }
            const first = (await client.query('SELECT * FROM messages WHERE id = $1', [existing.message_id]))
              .rows[0] as Row;
            return { outcome: 'replayed', message: toMessage(first) };
          }
        }
        await this.reserveFor(client, message);
        await this.insertMessage(client, message, payload, claim?.instanceId);
        if (claim)
          return { outcome: 'created', message: { ...message, dispatchState: 'in-flight', attemptCount: 0 } };
        return { outcome: 'created', message };
      },
    );
    if (queued && result.outcome === 'created') this.queued();
    return result;
  }

  async acceptAll(messages: readonly StoredMessage[]): Promise<void> {
    const payloads = messages.map((message) => serialize(message.message));
    await this.connection.transaction('store the messages', async (client) => {
      for (const [index, message] of messages.entries()) {
        await this.reserveFor(client, message);
        await this.insertMessage(client, message, payloads[index] as string);
      }
    });
    this.queued();
  }

  async ensureSecret(name: string, create: () => string, now: number): Promise<string> {
    const [existing] = await this.connection.read(
      'read a generated secret',
      'SELECT value FROM gateway_secrets WHERE name = $1',
      [name],
    );
    if (existing) return existing.value as string;
    const value = create();
    await this.connection.run(
      'store a generated secret',
      'INSERT INTO gateway_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING',
      [name, value, now],
    );
    // Another instance may have stored one first: its value is the one in force.
    const [stored] = await this.connection.read(
      'read a generated secret',
      'SELECT value FROM gateway_secrets WHERE name = $1',
      [name],
    );
    return (stored as Row).value as string;
  }

  async renewLease(instanceId: string, leaseUntil: number, now: number): Promise<void> {
    const first = !this.running.has(instanceId);
    this.running.add(instanceId);
    await this.connection.transaction('renew the dispatch lease', async (client) => {
      if (first) {
        await client.query('DELETE FROM dispatch_instances WHERE lease_until < $1 AND id <> $2', [
          now - 86_400_000,
          instanceId,
        ]);
      }
      await client.query(
        `INSERT INTO dispatch_instances (id, lease_until, started_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until`,
        [instanceId, leaseUntil, now],
      );
    });
  }

  async claimNext(instanceId: string, limit: number, now: number): Promise<StoredMessage[]> {
    if (limit <= 0) return [];
    // Rows another instance is claiming are skipped, not waited for: each message is claimed once.
    const { rows } = await this.connection.run(
      'claim messages',
      `WITH next AS (
         SELECT id FROM messages WHERE dispatch_state = 'queued' ORDER BY created_at, seq LIMIT $1
         FOR UPDATE SKIP LOCKED)
       UPDATE messages AS m SET dispatch_state = 'in-flight', claimed_by = $2, updated_at = $3
       FROM next WHERE m.id = next.id RETURNING m.*, m.created_at AS order_at, ${ATTEMPT_COUNT}`,
      [limit, instanceId, now],
    );
    return rows.sort(byOrder).map(withAttemptCount);
  }

  async takeOverInFlight(instanceId: string, now: number, limit: number): Promise<StoredMessage[]> {
    const { rows } = await this.connection.run(
      'take over in-flight messages',
      `WITH abandoned AS (
         SELECT id FROM messages AS m WHERE dispatch_state = 'in-flight' AND (claimed_by IS NULL
           OR (claimed_by <> $1 AND NOT EXISTS (
             SELECT 1 FROM dispatch_instances AS i WHERE i.id = m.claimed_by AND i.lease_until >= $2)))
         ORDER BY created_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE messages AS m SET claimed_by = $1, updated_at = $2
       FROM abandoned WHERE m.id = abandoned.id RETURNING m.*, m.created_at AS order_at, ${ATTEMPT_COUNT}`,
      [instanceId, now, limit],
    );
    return rows.sort(byOrder).map(withAttemptCount);
  }

  /** A session advisory lock on the listening connection: held until this instance stops or loses it. */
  async isLeader(): Promise<boolean> {
    const client = this.listener;
    if (!client) return false;
    if (this.leading) return true;
    const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS taken', [
      `msg.leader:${this.schema}`,
    ]);
    this.leading = rows[0]?.taken === true && this.listener === client;
    return this.leading;
  }

  onQueued(listener: () => void): () => void {
    this.queuedListeners.add(listener);
    return () => this.queuedListeners.delete(listener);
  }

  async backlog(_now: number): Promise<Backlog> {
    const [totals] = await this.connection.read(
      'measure the backlog',
      `SELECT COUNT(*) AS queued, MIN(created_at) AS oldest FROM messages WHERE dispatch_state = 'queued'`,
    );
    const queued = (totals?.queued as number) ?? 0;
    const byApiKey: Record<string, number> = {};
    if (queued > 0) {
      for (const row of await this.connection.read(
        'measure the backlog',
        `SELECT api_key_id, COUNT(*) AS queued FROM messages WHERE dispatch_state = 'queued' GROUP BY api_key_id`,
      )) {
        byApiKey[row.api_key_id as string] = row.queued as number;
      }
    }
    return { queued, oldestQueuedAt: (totals?.oldest as number | null) ?? undefined, byApiKey };
  }

  async pruneFinished(before: number, limit: number): Promise<number> {
    return this.connection.transaction('prune finished messages', async (client) => {
      const rows = (
        await client.query(
          `SELECT id, payload, created_at FROM messages WHERE dispatch_state = 'done' AND created_at < $1
           ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [before, limit],
        )
      ).rows as Row[];
      const ids = rows.map((row) => row.id as string);
      // The recipient index is keyed by recipient: its rows are found from the message's own `to`.
      const keys = rows.flatMap((row) =>
        recipientsOf(JSON.parse(row.payload as string)).map((recipient) => [
          recipient,
          row.created_at,
          row.id,
        ]),
      );
      if (keys.length > 0) {
        await client.query(
          `DELETE FROM message_recipients AS r USING unnest($1::text[], $2::bigint[], $3::text[]) AS d(recipient, created_at, message_id)
           WHERE r.recipient = d.recipient AND r.created_at = d.created_at AND r.message_id = d.message_id`,
          [keys.map((key) => key[0]), keys.map((key) => key[1]), keys.map((key) => key[2])],
        );
      }
      if (ids.length > 0) {
        for (const table of ['events', 'attempts', 'callback_outbox', 'shadow_validations']) {
          await client.query(`DELETE FROM ${table} WHERE message_id = ANY($1::text[])`, [ids]);
        }
        await client.query('DELETE FROM messages WHERE id = ANY($1::text[])', [ids]);
      }
      await client.query(
        `DELETE FROM webhook_replay_tokens WHERE ctid IN
           (SELECT ctid FROM webhook_replay_tokens WHERE received_at < $1 ORDER BY received_at LIMIT $2)`,
        [before, limit],
      );
      return ids.length;
    });
  }

  private upsertAttempt(client: Queryable, attempt: AttemptRecord) {
    const values = [
      attempt.messageId,
      attempt.sequence,
      attempt.providerId,
      attempt.startedAt,
      attempt.possibleDuplicate,
      attempt.reason ?? null,
      attempt.migrationId ?? null,
    ];
    // An attempt still in flight is written only if nothing is there yet: its outcome, if already
    // stored, is never put back in flight.
    if (attempt.outcome === 'in-flight') {
      return client.query(
        `INSERT INTO attempts (message_id, sequence, provider_id, started_at, possible_duplicate, reason, migration_id, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'in-flight') ON CONFLICT (message_id, sequence) DO NOTHING`,
        values,
      );
    }
    return client.query(
      `INSERT INTO attempts (message_id, sequence, provider_id, started_at, possible_duplicate, reason, migration_id,
         outcome, finished_at, latency_ms, error_kind, error_code, error_message, provider_message_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (message_id, sequence) DO UPDATE SET finished_at = excluded.finished_at, latency_ms = excluded.latency_ms,
         outcome = excluded.outcome, error_kind = excluded.error_kind, error_code = excluded.error_code,
         error_message = excluded.error_message, provider_message_id = excluded.provider_message_id,
         possible_duplicate = excluded.possible_duplicate, reason = excluded.reason,
         migration_id = COALESCE(excluded.migration_id, attempts.migration_id)`,
      [
        ...values,
        attempt.outcome,
        attempt.finishedAt ?? null,
        attempt.latencyMs ?? null,
        attempt.errorKind ?? null,
        attempt.errorCode ?? null,
        attempt.errorMessage ?? null,
        attempt.providerMessageId ?? null,
      ],
    );
  }

  async recordAttempt(attempt: AttemptRecord): Promise<void> {
    await this.connection.transaction('record the attempt', async (client) => {
      await this.upsertAttempt(client, attempt);
    });
  }

  async finishDispatch(messageId: string, outcome: DispatchOutcome, now: number): Promise<void> {
    await this.connection.transaction('finish the dispatch', async (client) => {
      // The message's row first (every writer locks it first): a receipt may have come meanwhile.
      const current = (
        await client.query(
          `SELECT status, dispatch_state, api_key_id, provider_id, error_kind, campaign_id, charge_account, charge_held,
             charged FROM messages WHERE id = $1 FOR UPDATE`,
          [messageId],
        )
      ).rows[0] as Row | undefined;
      for (const attempt of outcome.attempts ?? []) await this.upsertAttempt(client, attempt);
      if (outcome.callback) await this.queueCallback(client, messageId, outcome.callback, now);
      const status =
        current && !canAdvanceStatus(current.status as DeliveryStatus, outcome.status)
          ? (current.status as DeliveryStatus)
          : outcome.status;
      const awaiting = !settled(status);
      // Settled once: the hold released, the cost debited and counted, in this transaction.
      const settling = current !== undefined && current.charged == null && current.dispatch_state !== 'done';
      const debit =
        outcome.providerMessageId !== undefined
          ? (outcome.costMicros ?? Number(current?.charge_held ?? 0))
          : undefined;
      if (settling) await this.settle(client, messageId, current, outcome, status, debit, now);
      await client.query(
        `UPDATE messages SET dispatch_state = 'done', status = $2, provider_id = $3, provider_message_id = $4,
           routing_reason = $5, segments = $6, cost_amount = $7, cost_currency = $8, error_kind = $9, error_code = $10,
           error_message = $11, updated_at = $12, sent_at = COALESCE($13, sent_at), receipt_due_at = $14,
           reconcile_at = $15, next_attempt_at = NULL, retry_reason = NULL, route_id = $16, migration_id = $17,
           migration_side = $18, destination = $19, claimed_by = NULL,
           delivered_at = CASE WHEN $20 THEN COALESCE(delivered_at, $12) ELSE delivered_at END,
           charged = CASE WHEN $21 THEN $22 ELSE charged END, bulk_id = CASE WHEN $21 THEN $23 ELSE bulk_id END
         WHERE id = $1`,
        [
          messageId,
          status,
          outcome.providerId ?? null,
          outcome.providerMessageId ?? null,
          outcome.routingReason ?? null,
          outcome.segments ?? null,
          outcome.cost?.amount ?? null,
          outcome.cost?.currency ?? null,
          outcome.error?.kind ?? null,
          outcome.error?.code ?? null,
          outcome.error?.message ?? null,
          now,
          outcome.providerMessageId ? now : null,
          awaiting ? (outcome.receiptDueAt ?? null) : null,
          awaiting ? (outcome.reconcileAt ?? null) : null,
          outcome.routeId ?? null,
          outcome.migration?.id ?? null,
          outcome.migration?.side ?? null,
          outcome.destination ?? null,
          ['delivered', 'opened', 'clicked', 'complained'].includes(status),
          settling,
          debit ?? 0,
          outcome.bulkId ?? null,
        ],
      );
    });
  }

  /** Inside the outcome's transaction: the ledger and spend (see `PostgresLedger.settleIn`), then the campaign's counters. */
  private async settle(
    client: Queryable,
    messageId: string,
    current: Row,
    outcome: DispatchOutcome,
    status: DeliveryStatus,
    debit: number | undefined,
    now: number,
  ): Promise<void> {
    const campaignId = (current.campaign_id as string | null) ?? undefined;
    await this.ledger.settleIn(
      client,
      {
        messageId,
        account: (current.charge_account as string | null) ?? undefined,
        heldMicros: Number(current.charge_held ?? 0),
        debitMicros: debit,
        providerId: outcome.providerId,
        migrationSide: outcome.migration?.side,
        campaignId,
        apiKeyId: current.api_key_id as string,
      },
      now,
    );
    if (campaignId === undefined) return;
    await addCounts(
      client,
      moveDeltas(
        campaignId,
        {
          status: current.status as string,
          providerId: current.provider_id as string | null,
          errorKind: current.error_kind as string | null,
        },
        { status, providerId: outcome.providerId, errorKind: outcome.error?.kind },
        debit ?? 0,
      ),
    );
  }

  async scheduleRetry(messageId: string, retry: RetrySchedule, now: number): Promise<void> {
    await this.connection.transaction('schedule a retry round', async (client) => {
      await client.query('SELECT 1 FROM messages WHERE id = $1 FOR UPDATE', [messageId]);
      for (const attempt of retry.attempts) await this.upsertAttempt(client, attempt);
      await client.query(
        `UPDATE messages SET dispatch_state = 'waiting', next_attempt_at = $2, retry_round = $3, retry_reason = $4,
           updated_at = $5, claimed_by = NULL WHERE id = $1`,
        [messageId, retry.nextAttemptAt, retry.round, retry.reason, now],
      );
    });
  }

  async releaseDueRetries(now: number, limit: number): Promise<string[]> {
    // Read first: most sweeps find nothing and need no write.
    const [any] = await this.connection.read(
      'find due retry rounds',
      `SELECT 1 FROM messages WHERE dispatch_state = 'waiting' AND next_attempt_at <= $1 LIMIT 1`,
      [now],
    );
    if (!any) return [];
    const released = await this.connection.transaction('release retry rounds', async (client) => {
      const { rows } = await client.query(
        `WITH due AS (
           SELECT id, seq, next_attempt_at FROM messages WHERE dispatch_state = 'waiting' AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE messages AS m SET dispatch_state = 'queued', next_attempt_at = NULL, updated_at = $1
         FROM due WHERE m.id = due.id RETURNING m.id, due.seq, due.next_attempt_at AS order_at`,
        [now, limit],
      );
      return (rows as Row[]).sort(byOrder).map((row) => row.id as string);
    });
    if (released.length > 0) this.queued();
    return released;
  }

  private async queueCallback(
    client: Queryable,
    messageId: string,
    callback: CallbackRequest,
    now: number,
  ): Promise<void> {
    const row = (
      await client.query(
        'UPDATE messages SET callback_sequence = callback_sequence + 1 WHERE id = $1 RETURNING callback_sequence',
        [messageId],
      )
    ).rows[0] as Row | undefined;
    const sequence = (row?.callback_sequence as number | undefined) ?? 1;
    await client.query(
      'INSERT INTO callback_outbox (message_id, url, body, next_attempt_at, sequence, format) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        messageId,
        callback.url,
        // A provider's format is that provider's body: the sequence is kept beside it for ordering.
        callback.format ? callback.body : withSequence(callback.body, sequence),
        now,
        sequence,
        callback.format ? JSON.stringify(callback.format) : null,
      ],
    );
  }

  async requeue(messageId: string, now: number): Promise<void> {
    const changed = await this.connection.transaction('requeue', async (client) => {
      const result = await client.query(
        `UPDATE messages SET dispatch_state = 'queued', claimed_by = NULL, updated_at = $1 WHERE id = $2`,
        [now, messageId],
      );
      return (result.rowCount ?? 0) > 0;
    });
    if (changed) this.queued();
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const [row] = await this.connection.read('read the message', 'SELECT * FROM messages WHERE id = $1', [
      id,
    ]);
    return row ? toRevivedMessage(row) : undefined;
  }

  async attempts(messageId: string): Promise<AttemptRecord[]> {
    return (
      await this.connection.read(
        'read the attempts',
        'SELECT * FROM attempts WHERE message_id = $1 ORDER BY sequence',
        [messageId],
      )
    ).map(toAttempt);
  }

  async events(messageId: string): Promise<EventRecord[]> {
    return (
      await this.connection.read(
        'read the events',
        'SELECT * FROM events WHERE message_id = $1 ORDER BY id',
        [messageId],
      )
    ).map(toEvent);
  }

  async recentByRecipient(
    recipient: string,
    options: { limit: number; before?: RecipientCursor | undefined },
  ): Promise<StoredMessage[]> {
    const before = options.before ?? { createdAt: Number.MAX_SAFE_INTEGER, id: '' };
    const rows = await this.connection.read(
      'find messages by recipient',
      `SELECT message.* FROM message_recipients AS recipient JOIN messages AS message ON message.id = recipient.message_id
       WHERE recipient.recipient = $1 AND (recipient.created_at, recipient.message_id) < ($2, $3)
       ORDER BY recipient.created_at DESC, recipient.message_id DESC LIMIT $4`,
      [recipient, before.createdAt, before.id, options.limit],
    );
    return rows.map(toRevivedMessage);
  }

  async recordReceipts(batch: ReceiptBatch): Promise<ReceiptsResult> {
    return this.connection.transaction('store the receipts', async (client): Promise<ReceiptsResult> => {
      const token = batch.replay;
      if (token) {
        await client.query(
          `INSERT INTO webhook_replay_tokens (provider_id, token, content_hash, received_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [token.providerId, token.token, token.contentHash, token.receivedAt],
        );
        const seen = (
          await client.query(
            'SELECT content_hash FROM webhook_replay_tokens WHERE provider_id = $1 AND token = $2',
            [token.providerId, token.token],
          )
        ).rows[0] as Row;
        if (seen.content_hash !== token.contentHash) return { outcome: 'replayed' };
      }
      const results: ReceiptResult[] = [];
      // Campaign counters are moved once, after every message of the batch is locked (see `advance`).
      const counts: CountDelta[] = [];
      this.deferredCounts.set(client, counts);
      try {
        for (const receipt of batch.receipts) results.push(await this.recordReceipt(client, batch, receipt));
      } finally {
        this.deferredCounts.delete(client);
      }
      await addCounts(client, counts);
      return { outcome: 'accepted', results };
    });
  }

  /** Inside a transaction: matches the receipt's message, stores the event unless its key was seen, moves forward only. */
  private async recordReceipt(
    client: Queryable,
    batch: ReceiptBatch,
    receipt: ReceiptBatch['receipts'][number],
  ): Promise<ReceiptResult> {
    const columns = 'id, callback_url, created_at, migration_side, status';
    let row = receipt.messageId
      ? ((await client.query(`SELECT ${columns} FROM messages WHERE id = $1 FOR UPDATE`, [receipt.messageId]))
          .rows[0] as Row | undefined)
      : undefined;
    row ??= (
      await client.query(
        `SELECT ${columns} FROM messages WHERE provider_id = $1 AND provider_message_id = $2 AND sent_at >= $3
         ORDER BY sent_at DESC, seq DESC LIMIT 1 FOR UPDATE`,
        [batch.providerId, receipt.event.providerMessageId, batch.sentSince],
      )
    ).rows[0] as Row | undefined;
    if (!row) {
      if (receipt.messageId !== undefined || batch.holdUnmatchedUntil === undefined) {
        return { outcome: 'unknown-message' };
      }
      await client.query(
        `INSERT INTO held_receipts (provider_id, provider_message_id, receipt, sent_since, hold_until)
         VALUES ($1, $2, $3, $4, $5)`,
        [
          batch.providerId,
          receipt.event.providerMessageId,
          JSON.stringify(receipt),
          batch.sentSince,
          batch.holdUnmatchedUntil,
        ],
      );
      return { outcome: 'held' };
    }
    const message = toReceiptTarget(row);
    const event: EventRecord = { ...receipt.event, messageId: message.id };
    const current = row.status as DeliveryStatus;
    if (!(await this.insertEvent(client, event))) {
      return { outcome: 'duplicate', message, status: current, advanced: false };
    }
    if (!canAdvanceStatus(current, event.status)) {
      return { outcome: 'stored', message, status: current, advanced: false };
    }
    // Only a message with a callback is read whole (its payload parsed): the callback may need it.
    const callback = message.callbackUrl
      ? batch.callback(
          toRevivedMessage(
            (await client.query('SELECT * FROM messages WHERE id = $1', [message.id])).rows[0] as Row,
          ),
          event,
        )
      : undefined;
    await this.advance(client, event, callback);
    return { outcome: 'stored', message, status: event.status, advanced: true };
  }

  async matchHeldReceipts(batch: HeldReceiptsBatch): Promise<HeldReceiptsResult> {
    return this.connection.transaction('match held receipts', async (client): Promise<HeldReceiptsResult> => {
      // Locked and skipped by any other instance's sweep: each held receipt is matched once.
      const held = (
        await client.query(
          `SELECT held.id, held.provider_id, held.receipt, held.sent_since FROM held_receipts AS held
           WHERE EXISTS (SELECT 1 FROM messages AS message WHERE message.provider_id = held.provider_id
             AND message.provider_message_id = held.provider_message_id AND message.sent_at >= held.sent_since)
           ORDER BY held.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [batch.limit],
        )
      ).rows as Row[];
      const matched: HeldReceiptsResult['matched'] = [];
      // As in `recordReceipts`: campaign counters move once every message is locked.
      const counts: CountDelta[] = [];
      this.deferredCounts.set(client, counts);
      try {
        for (const row of held) {
          const providerId = row.provider_id as string;
          const receipt = JSON.parse(row.receipt as string) as IncomingReceipt;
          const result = await this.recordReceipt(
            client,
            { providerId, receipts: [receipt], sentSince: Number(row.sent_since), callback: batch.callback },
            receipt,
          );
          await client.query('DELETE FROM held_receipts WHERE id = $1', [row.id]);
          matched.push({ providerId, receipt, result });
        }
      } finally {
        this.deferredCounts.delete(client);
      }
      await addCounts(client, counts);
      const expired = (
        await client.query(
          `DELETE FROM held_receipts WHERE id IN (
             SELECT id FROM held_receipts WHERE hold_until <= $1 ORDER BY hold_until LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING provider_id, provider_message_id`,
          [batch.now, batch.limit],
        )
      ).rows.map((row: Row) => ({
        providerId: row.provider_id as string,
        providerMessageId: row.provider_message_id as string,
      }));
      return { matched, expired };
    });
  }

  async createSession(session: SessionRecord, limits: { idleSince: number; max: number }): Promise<void> {
    await this.connection.transaction('start a dashboard session', async (client) => {
      await client.query('DELETE FROM dashboard_sessions WHERE expires_at <= $1 OR last_seen_at <= $2', [
        session.createdAt,
        limits.idleSince,
      ]);
      await client.query(
        `INSERT INTO dashboard_sessions (hash, key_id, scopes, csrf_token, created_at, expires_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          session.hash,
          session.keyId,
          JSON.stringify(session.scopes),
          session.csrfToken,
          session.createdAt,
          session.expiresAt,
          session.lastSeenAt,
        ],
      );
      await client.query(
        `DELETE FROM dashboard_sessions WHERE hash IN (
           SELECT hash FROM dashboard_sessions ORDER BY created_at DESC, hash OFFSET $1)`,
        [limits.max],
      );
    });
  }

  async getSession(hash: string): Promise<SessionRecord | undefined> {
    const [row] = await this.connection.read(
      'read a dashboard session',
      'SELECT * FROM dashboard_sessions WHERE hash = $1',
      [hash],
    );
    if (!row) return undefined;
    return {
      hash,
      keyId: row.key_id as string,
      scopes: JSON.parse(row.scopes as string) as string[],
      csrfToken: row.csrf_token as string,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      lastSeenAt: Number(row.last_seen_at),
    };
  }

  async touchSession(hash: string, lastSeenAt: number): Promise<void> {
    await this.connection.run(
      'record use of a dashboard session',
      'UPDATE dashboard_sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE hash = $2',
      [lastSeenAt, hash],
    );
  }

  async deleteSession(hash: string): Promise<void> {
    await this.connection.run('end a dashboard session', 'DELETE FROM dashboard_sessions WHERE hash = $1', [
      hash,
    ]);
  }

  private async insertEvent(client: Queryable, event: EventRecord): Promise<boolean> {
    const inserted = await client.query(
      `INSERT INTO events (message_id, provider_id, provider_message_id, status, provider_status, occurred_at,
         received_at, event_key, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_key) DO NOTHING`,
      [
        event.messageId,
        event.providerId,
        event.providerMessageId,
        event.status,
        event.providerStatus,
        event.occurredAt,
        event.receivedAt,
        event.eventKey,
        event.detail ? JSON.stringify(event.detail) : null,
      ],
    );
    return (inserted.rowCount ?? 0) > 0;
  }

  /** The status, and when settled the end of the receipt wait and look-ups, and the first delivery time. */
  private async advance(
    client: Queryable,
    event: EventRecord,
    callback: CallbackRequest | undefined,
  ): Promise<void> {
    // The caller holds the message's lock: `before` is its status until this statement.
    const moved = (
      await client.query(
        `UPDATE messages AS m SET status = $2, updated_at = $3,
         receipt_due_at = CASE WHEN $4 THEN NULL ELSE m.receipt_due_at END,
         reconcile_at = CASE WHEN $4 THEN NULL ELSE m.reconcile_at END,
         delivered_at = CASE WHEN $5 THEN COALESCE(m.delivered_at, $3) ELSE m.delivered_at END
       FROM (SELECT status FROM messages WHERE id = $1) AS before
       WHERE m.id = $1 RETURNING m.campaign_id, m.provider_id, m.error_kind, before.status AS before_status`,
        [
          event.messageId,
          event.status,
          event.receivedAt,
          settled(event.status),
          isDeliveredStatus(event.status),
        ],
      )
    ).rows[0] as Row | undefined;
    // A campaign's counters follow its messages: at once, or at the end of a batch of receipts,
    // so that every transaction locks messages before counters and none waits for a message
    // while holding a counter another one's outcome needs.
    if (moved?.campaign_id != null) {
      const where = {
        providerId: moved.provider_id as string | null,
        errorKind: moved.error_kind as string | null,
      };
      const deltas = moveDeltas(
        moved.campaign_id as string,
        { status: moved.before_status as string, ...where },
        { status: event.status, ...where },
        0,
      );
      const deferred = this.deferredCounts.get(client);
      if (deferred) deferred.push(...deltas);
      else await addCounts(client, deltas);
    }
    if (callback) await this.queueCallback(client, event.messageId, callback, event.receivedAt);
  }

  async expireReceipt(event: EventRecord, callback?: CallbackRequest): Promise<boolean> {
    return this.connection.transaction('end the receipt wait', async (client) => {
      const current = (
        await client.query('SELECT status FROM messages WHERE id = $1 FOR UPDATE', [event.messageId])
      ).rows[0] as Row | undefined;
      if (!current || !canAdvanceStatus(current.status as DeliveryStatus, event.status)) return false;
      if (!(await this.insertEvent(client, event))) return false;
      await this.advance(client, event, callback);
      return true;
    });
  }

  async overdueReceipts(now: number, limit: number): Promise<StoredMessage[]> {
    return (
      await this.connection.read(
        'find overdue receipts',
        `SELECT * FROM messages WHERE receipt_due_at IS NOT NULL AND receipt_due_at <= $1
         ORDER BY receipt_due_at, seq LIMIT $2`,
        [now, limit],
      )
    ).map(toRevivedMessage);
  }

  async claimReconciliations(now: number, limit: number, leaseMs: number): Promise<StoredMessage[]> {
    const { rows } = await this.connection.run(
      'lease status look-ups',
      `WITH due AS (
         SELECT id, seq, reconcile_at FROM messages WHERE reconcile_at IS NOT NULL AND reconcile_at <= $1
         ORDER BY reconcile_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE messages AS m SET reconcile_at = $3, reconcile_attempts = m.reconcile_attempts + 1
       FROM due WHERE m.id = due.id RETURNING m.*, due.reconcile_at AS order_at`,
      [now, limit, now + leaseMs],
    );
    return rows.sort(byOrder).map(toRevivedMessage);
  }

  async scheduleReconcile(messageId: string, at: number | undefined): Promise<void> {
    await this.connection.run(
      'schedule a status look-up',
      'UPDATE messages SET reconcile_at = $1 WHERE id = $2 AND reconcile_at IS NOT NULL',
      [at ?? null, messageId],
    );
  }

  async enqueueCallback(messageId: string, url: string, body: string, now: number): Promise<void> {
    await this.connection.transaction('queue the status callback', (client) =>
      this.queueCallback(client, messageId, { url, body }, now),
    );
  }

  async dueCallbacks(now: number, limit: number): Promise<OutboxCallback[]> {
    // Handed to this instance's worker under a lease: another instance's worker leaves them alone
    // until it ends, so a callback is not sent by two instances at once.
    const { rows } = await this.connection.run(
      'lease due callbacks',
      `WITH due AS (
         SELECT id FROM callback_outbox AS callback
         WHERE state = 'pending' AND next_attempt_at <= $1
           AND (leased_by IS NULL OR leased_by = $3 OR leased_until < $1)
           AND NOT EXISTS (SELECT 1 FROM callback_outbox AS earlier
             WHERE earlier.message_id = callback.message_id AND earlier.state = 'pending'
               AND earlier.sequence < callback.sequence)
         ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE callback_outbox AS c SET leased_by = $3, leased_until = $4
       FROM due WHERE c.id = due.id RETURNING c.*, c.next_attempt_at AS order_at, c.id AS seq`,
      [now, limit, this.token, now + this.outboxLeaseMs],
    );
    return rows.sort(byOrder).map(toCallback);
  }

  async callbackDone(id: number): Promise<void> {
    await this.connection.run(
      'mark the callback sent',
      `UPDATE callback_outbox SET state = 'done', attempts = attempts + 1, leased_by = NULL WHERE id = $1`,
      [id],
    );
  }

  async callbackRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void> {
    await this.connection.run(
      'reschedule the callback',
      'UPDATE callback_outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2, leased_by = NULL WHERE id = $3',
      [giveUp ? 'failed' : 'pending', nextAttemptAt, id],
    );
  }

  async countByDispatchState(): Promise<Record<DispatchState, number>> {
    const counts: Record<DispatchState, number> = { queued: 0, 'in-flight': 0, waiting: 0, done: 0 };
    for (const row of await this.connection.read(
      'count messages',
      'SELECT dispatch_state, COUNT(*) AS count FROM messages GROUP BY dispatch_state',
    )) {
      counts[row.dispatch_state as DispatchState] = row.count as number;
    }
    return counts;
  }

  async purgeIdempotency(now: number): Promise<number> {
    return (
      await this.connection.run(
        'purge idempotency keys',
        'DELETE FROM idempotency_keys WHERE expires_at <= $1',
        [now],
      )
    ).count;
  }

  writeHealth(): StoreWriteHealth {
    return this.connection.writeHealth;
  }

  async probeWrite(now: number): Promise<void> {
    await this.connection.run(
      'write a probe row',
      'INSERT INTO store_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
      [now],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A stopped instance's in-flight messages (sends cut short) are recoverable by the others at once.
    if (this.running.size > 0) {
      await this.pool
        .query('UPDATE dispatch_instances SET lease_until = 0 WHERE id = ANY($1::text[])', [
          [...this.running],
        ])
        .catch(() => {});
    }
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }
}
