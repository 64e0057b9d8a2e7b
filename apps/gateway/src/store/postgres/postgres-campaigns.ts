import { cancelledCallback } from '../../callbacks/callback-body.js';
import {
  aggregatesOf,
  CANCELLED_ERROR_CODE,
  CANCELLED_ERROR_MESSAGE,
  type CountKey,
  progressOf,
  toCampaign,
  toRecipient,
  toResult,
  variablesColumn,
} from '../campaign-rows.js';
import type {
  CampaignAggregates,
  CampaignMessage,
  CampaignProgress,
  CampaignRecipient,
  CampaignRecord,
  CampaignResult,
  CampaignState,
  CampaignStore,
  ValidationReport,
} from '../campaign-store.js';
import { InsufficientCreditError } from '../campaign-store.js';
import type { CallbackRequest, StoredMessage } from '../message-store.js';
import { toRevivedMessage } from '../store-rows.js';
import type { PostgresConnection } from './postgres-connection.js';
import type { PostgresLedger, Queryable } from './postgres-ledger.js';

type Row = Record<string, unknown>;

export interface PostgresCampaignsContext {
  connection: PostgresConnection;
  ledger: PostgresLedger;
  /** The message store's own insert (message and recipient index), on the transaction's client. */
  insertMessage: (
    client: Queryable,
    message: StoredMessage,
    claimedBy: string | undefined,
  ) => Promise<unknown>;
  /** After a commit that queued messages: wakes the dispatchers (see `PostgresMessageStore`). */
  queued: () => void;
  /** The message store's own callback outbox, on the transaction's client. */
  queueCallback: (
    client: Queryable,
    messageId: string,
    callback: CallbackRequest,
    now: number,
  ) => Promise<void>;
}

/** A change to one of a campaign's counters. */
export interface CountDelta {
  campaignId: string;
  key: CountKey;
  messages: number;
  cost: number;
}

/** The deltas of a message that moved from one counter to another, with what it cost. */
export function moveDeltas(campaignId: string, from: CountKey, to: CountKey, cost: number): CountDelta[] {
  return [
    { campaignId, key: from, messages: -1, cost: 0 },
    { campaignId, key: to, messages: 1, cost },
  ];
}

/**
 * Inside a transaction: applies counter deltas in one statement. Deltas on the same counter are
 * summed first (an upsert cannot touch a row twice), and the rows are taken in key order, so two
 * transactions moving the same counters lock them in the same order.
 */
export async function addCounts(client: Queryable, deltas: readonly CountDelta[]): Promise<void> {
  const merged = new Map<string, { key: [string, string, string, string]; messages: number; cost: number }>();
  for (const delta of deltas) {
    const key: [string, string, string, string] = [
      delta.campaignId,
      delta.key.status,
      delta.key.providerId ?? '',
      delta.key.errorKind ?? '',
    ];
    const id = JSON.stringify(key);
    const entry = merged.get(id) ?? { key, messages: 0, cost: 0 };
    entry.messages += delta.messages;
    entry.cost += delta.cost;
    merged.set(id, entry);
  }
  const rows = [...merged.values()]
    .filter((row) => row.messages !== 0 || row.cost !== 0)
    .sort((left, right) => compareKeys(left.key, right.key));
  if (rows.length === 0) return;
  const column = (index: number) => rows.map((row) => row.key[index]);
  await client.query(
    `INSERT INTO campaign_counts (campaign_id, status, provider_id, error_kind, messages, cost)
     SELECT campaign_id, status, provider_id, error_kind, messages, cost
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
       WITH ORDINALITY AS d(campaign_id, status, provider_id, error_kind, messages, cost, position)
     ORDER BY position
     ON CONFLICT (campaign_id, status, provider_id, error_kind) DO UPDATE SET
       messages = campaign_counts.messages + excluded.messages, cost = campaign_counts.cost + excluded.cost`,
    [
      column(0),
      column(1),
      column(2),
      column(3),
      rows.map((row) => row.messages),
      rows.map((row) => row.cost),
    ],
  );
}

function compareKeys(left: readonly string[], right: readonly string[]): number {
  for (const [index, value] of left.entries()) {
    const other = right[index] as string;
    if (value !== other) return value < other ? -1 : 1;
  }
  return 0;
}

const PENDING_COUNT = `SELECT COUNT(*) AS count FROM campaign_recipients WHERE campaign_id = $1 AND state = 'pending'`;
const UNFINISHED_COUNT = `SELECT COUNT(*) AS count FROM messages
  WHERE campaign_id = $1 AND dispatch_state IN ('queued', 'in-flight', 'waiting')`;

/**
 * Campaigns on the PostgreSQL store, in its transactions, as `SqliteCampaigns` keeps them on
 * SQLite. Every step that changes a campaign takes its row's lock first, so the steps of one
 * campaign (start, materialize, cancel, complete) run one after another across instances; locks
 * are then taken in the order recipients, messages, credit account, counters, everywhere.
 */
export class PostgresCampaigns implements CampaignStore {
  constructor(private readonly context: PostgresCampaignsContext) {}

  private get connection(): PostgresConnection {
    return this.context.connection;
  }

  async createCampaign(campaign: CampaignRecord): Promise<void> {
    await this.connection.run(
      'create a campaign',
      `INSERT INTO campaigns (id, api_key_id, account, state, definition, reserved, materialized, created_at, updated_at)
       VALUES ($1, $2, $3, 'uploading', $4, 0, 0, $5, $6)`,
      [
        campaign.id,
        campaign.apiKeyId,
        campaign.account ?? null,
        JSON.stringify(campaign.definition),
        campaign.createdAt,
        campaign.updatedAt,
      ],
    );
  }

  async addRecipients(campaignId: string, recipients: readonly CampaignRecipient[]): Promise<number[]> {
    if (recipients.length === 0) return [];
    // In upload order: of two lines with one recipient, the first is stored.
    const { rows } = await this.connection.run(
      'store campaign recipients',
      `INSERT INTO campaign_recipients (campaign_id, sequence, recipient, variables)
       SELECT $1, sequence, recipient, variables
       FROM unnest($2::int[], $3::text[], $4::text[]) WITH ORDINALITY AS r(sequence, recipient, variables, position)
       ORDER BY position
       ON CONFLICT DO NOTHING RETURNING sequence`,
      [
        campaignId,
        recipients.map((recipient) => recipient.sequence),
        recipients.map((recipient) => recipient.recipient),
        recipients.map(variablesColumn),
      ],
    );
    const stored = new Set(rows.map((row) => row.sequence as number));
    return recipients.map((recipient) => recipient.sequence).filter((sequence) => !stored.has(sequence));
  }

  async completeUpload(campaignId: string, report: ValidationReport, now: number): Promise<void> {
    await this.connection.run(
      'complete a campaign upload',
      `UPDATE campaigns SET state = 'draft', report = $1, updated_at = $2 WHERE id = $3 AND state = 'uploading'`,
      [JSON.stringify(report), now, campaignId],
    );
  }

  async discardUpload(campaignId: string): Promise<void> {
    await this.connection.transaction('discard a campaign upload', async (client) => {
      const deleted = await client.query(`DELETE FROM campaigns WHERE id = $1 AND state = 'uploading'`, [
        campaignId,
      ]);
      if ((deleted.rowCount ?? 0) > 0) {
        await client.query('DELETE FROM campaign_recipients WHERE campaign_id = $1', [campaignId]);
      }
    });
  }

  async discardUnfinishedUploads(): Promise<number> {
    const rows = await this.connection.read(
      'find unfinished campaign uploads',
      `SELECT id FROM campaigns WHERE state = 'uploading'`,
    );
    for (const row of rows) await this.discardUpload(row.id as string);
    return rows.length;
  }

  async get(campaignId: string): Promise<CampaignRecord | undefined> {
    const [row] = await this.connection.read('read a campaign', 'SELECT * FROM campaigns WHERE id = $1', [
      campaignId,
    ]);
    return row ? toCampaign(row) : undefined;
  }

  async list(apiKeyId: string | undefined, limit: number): Promise<CampaignRecord[]> {
    const rows = await this.connection.read(
      'list campaigns',
      `SELECT * FROM campaigns WHERE state <> 'uploading' AND ($1::text IS NULL OR api_key_id = $1)
       ORDER BY created_at DESC, id DESC LIMIT $2`,
      [apiKeyId ?? null, limit],
    );
    return rows.map(toCampaign);
  }

  /** Inside a transaction: the campaign's row, locked until the commit. */
  private async lock(client: Queryable, campaignId: string): Promise<Row | undefined> {
    return (await client.query('SELECT * FROM campaigns WHERE id = $1 FOR UPDATE', [campaignId])).rows[0] as
      | Row
      | undefined;
  }

  async start(
    campaignId: string,
    options: { state: 'running' | 'scheduled'; bulk: boolean; reserveMicros: number },
    now: number,
  ): ReturnType<CampaignStore['start']> {
    return this.connection.transaction('start a campaign', async (client) => {
      const row = await this.lock(client, campaignId);
      if (row?.state !== 'draft') return { started: false as const, state: row?.state as CampaignState };
      const account = row.account as string | null;
      if (account !== null) {
        try {
          await this.context.ledger.reserveIn(client, account, options.reserveMicros, { campaignId }, now);
        } catch (error) {
          if (!(error instanceof InsufficientCreditError)) throw error;
          return { started: false as const, state: 'draft' as const, shortfall: error.shortfall };
        }
      }
      await client.query(
        `UPDATE campaigns SET state = $2, bulk = $3, reserved = $4, started_at = $5, updated_at = $5
         WHERE id = $1 AND state = 'draft'`,
        [campaignId, options.state, options.bulk, account === null ? 0 : options.reserveMicros, now],
      );
      return { started: true as const };
    });
  }

  async transition(
    campaignId: string,
    from: readonly CampaignState[],
    to: CampaignState,
    now: number,
  ): Promise<boolean> {
    const { count } = await this.connection.run(
      'change a campaign state',
      'UPDATE campaigns SET state = $1, updated_at = $2 WHERE id = $3 AND state = ANY($4::text[])',
      [to, now, campaignId, [...from]],
    );
    return count > 0;
  }

  async active(): Promise<CampaignRecord[]> {
    const rows = await this.connection.read(
      'find active campaigns',
      `SELECT * FROM campaigns WHERE state IN ('running', 'scheduled') ORDER BY created_at, id`,
    );
    return rows.map(toCampaign);
  }

  async pendingRecipients(campaignId: string, limit: number): Promise<CampaignRecipient[]> {
    const rows = await this.connection.read(
      'read pending campaign recipients',
      `SELECT sequence, recipient, variables FROM campaign_recipients
       WHERE campaign_id = $1 AND state = 'pending' ORDER BY sequence LIMIT $2`,
      [campaignId, limit],
    );
    return rows.map(toRecipient);
  }

  async materialize(
    campaignId: string,
    messages: readonly CampaignMessage[],
    claimedBy: string | undefined,
  ): Promise<StoredMessage[]> {
    if (messages.length === 0) return [];
    const stored = await this.connection.transaction('queue campaign messages', async (client) => {
      const campaign = await this.lock(client, campaignId);
      // What the campaign's reservation still covers, read under its lock: messages built from an
      // older read (an instance that just lost the leader lock) never hold more than is reserved.
      let left = campaign ? (campaign.reserved as number) - (campaign.materialized as number) : 0;
      // The recipients still pending are taken in one statement; the others (a cancel raced) are skipped.
      const taken = await client.query(
        `UPDATE campaign_recipients AS r SET state = 'queued', message_id = t.message_id
         FROM unnest($2::int[], $3::text[]) AS t(sequence, message_id)
         WHERE r.campaign_id = $1 AND r.sequence = t.sequence AND r.state = 'pending' RETURNING r.sequence`,
        [campaignId, messages.map((entry) => entry.sequence), messages.map((entry) => entry.message.id)],
      );
      const sequences = new Set(taken.rows.map((row) => row.sequence as number));
      const stored: StoredMessage[] = [];
      let held = 0;
      for (const { sequence, message } of messages) {
        if (!sequences.has(sequence)) continue;
        sequences.delete(sequence);
        const charge = message.charge && {
          ...message.charge,
          heldMicros: Math.max(0, Math.min(message.charge.heldMicros, left)),
        };
        const capped = charge ? { ...message, charge } : message;
        left -= charge?.heldMicros ?? 0;
        await this.context.insertMessage(client, capped, claimedBy);
        held += charge?.heldMicros ?? 0;
        stored.push(claimedBy ? { ...capped, dispatchState: 'in-flight', attemptCount: 0 } : capped);
      }
      if (stored.length > 0) {
        await client.query(
          'UPDATE campaigns SET materialized = materialized + $2, updated_at = $3 WHERE id = $1',
          [campaignId, held, messages[0]?.message.createdAt ?? 0],
        );
        await addCounts(client, [
          { campaignId, key: { status: 'queued' }, messages: stored.length, cost: 0 },
        ]);
      }
      return stored;
    });
    if (!claimedBy && stored.length > 0) this.context.queued();
    return stored;
  }

  async unfinished(campaignId: string): Promise<number> {
    const [row] = await this.connection.read('count unfinished campaign messages', UNFINISHED_COUNT, [
      campaignId,
    ]);
    return (row?.count as number | undefined) ?? 0;
  }

  /** Inside a transaction: the campaign ends in `state`, releasing what it still holds itself. */
  private async end(client: Queryable, row: Row, state: CampaignState, now: number): Promise<void> {
    const account = row.account as string | null;
    const left = (row.reserved as number) - (row.materialized as number);
    if (account !== null && left > 0) {
      await this.context.ledger.releaseIn(client, account, left, { campaignId: row.id as string }, now);
    }
    await client.query(
      'UPDATE campaigns SET state = $2, materialized = reserved, finished_at = $3, updated_at = $3 WHERE id = $1',
      [row.id, state, now],
    );
  }

  async cancel(campaignId: string, now: number): Promise<boolean> {
    return this.connection.transaction('cancel a campaign', async (client) => {
      const row = await this.lock(client, campaignId);
      if (!row || !['draft', 'scheduled', 'running', 'paused'].includes(row.state as string)) return false;
      const cancelled = await client.query(
        `UPDATE campaign_recipients SET state = 'cancelled' WHERE campaign_id = $1 AND state = 'pending'`,
        [campaignId],
      );
      await client.query('UPDATE campaigns SET cancelled = cancelled + $2 WHERE id = $1', [
        campaignId,
        cancelled.rowCount ?? 0,
      ]);
      // Messages not claimed yet; one a dispatcher claims meanwhile is re-checked after its lock and left to it.
      const { rows } = await client.query(
        `WITH unclaimed AS (
           SELECT id, status, provider_id, error_kind, charge_account, charge_held FROM messages
           WHERE campaign_id = $1 AND dispatch_state IN ('queued', 'waiting') ORDER BY id FOR UPDATE)
         UPDATE messages AS m SET dispatch_state = 'done', status = 'failed', error_kind = 'routing', error_code = $2,
           error_message = $4, charged = 0, next_attempt_at = NULL, claimed_by = NULL, updated_at = $3
         FROM unclaimed WHERE m.id = unclaimed.id
         RETURNING m.*, unclaimed.status AS before_status, unclaimed.provider_id AS before_provider_id,
           unclaimed.error_kind AS before_error_kind`,
        [campaignId, CANCELLED_ERROR_CODE, now, CANCELLED_ERROR_MESSAGE],
      );
      const deltas: CountDelta[] = [];
      for (const message of rows as Row[]) {
        deltas.push(
          ...moveDeltas(
            campaignId,
            {
              status: message.before_status as string,
              providerId: message.before_provider_id as string | null,
              errorKind: message.before_error_kind as string | null,
            },
            {
              status: 'failed',
              providerId: message.before_provider_id as string | null,
              errorKind: 'routing',
            },
            0,
          ),
        );
        // Its final status, to the client like any other: it will never be sent.
        const callback = cancelledCallback(toRevivedMessage(message), now);
        if (callback) await this.context.queueCallback(client, message.id as string, callback, now);
        if (message.charge_account != null) {
          await this.context.ledger.releaseIn(
            client,
            message.charge_account as string,
            (message.charge_held as number | null) ?? 0,
            { messageId: message.id as string, campaignId },
            now,
          );
        }
      }
      await this.end(client, row, 'cancelled', now);
      await addCounts(client, deltas);
      return true;
    });
  }

  async completeIfDone(campaignId: string, now: number): Promise<boolean> {
    return this.connection.transaction('complete a campaign', async (client) => {
      const row = await this.lock(client, campaignId);
      if (row?.state !== 'running') return false;
      const count = async (sql: string) =>
        ((await client.query(sql, [campaignId])).rows[0]?.count as number | undefined) ?? 0;
      if ((await count(PENDING_COUNT)) > 0 || (await count(UNFINISHED_COUNT)) > 0) return false;
      await this.end(client, row, 'completed', now);
      return true;
    });
  }

  /** Counter rows, with those of no messages left (their cost still counts). */
  private counts(campaignId: string): Promise<Row[]> {
    return this.connection.read(
      'read campaign counters',
      'SELECT * FROM campaign_counts WHERE campaign_id = $1',
      [campaignId],
    );
  }

  async progress(campaignId: string): Promise<CampaignProgress> {
    const [campaign] = await this.connection.read(
      'read a campaign',
      'SELECT report, cancelled FROM campaigns WHERE id = $1',
      [campaignId],
    );
    return progressOf(campaign, await this.counts(campaignId));
  }

  async aggregates(campaignId: string): Promise<CampaignAggregates> {
    return aggregatesOf(await this.counts(campaignId));
  }

  async results(campaignId: string, afterSequence: number, limit: number): Promise<CampaignResult[]> {
    const rows = await this.connection.read(
      'read campaign results',
      `SELECT r.sequence, r.recipient, r.state, r.message_id, m.status, m.provider_id, m.provider_message_id,
         m.bulk_id, m.charged, m.error_kind, m.error_code, m.error_message
       FROM campaign_recipients AS r LEFT JOIN messages AS m ON m.id = r.message_id
       WHERE r.campaign_id = $1 AND r.sequence > $2 ORDER BY r.sequence LIMIT $3`,
      [campaignId, afterSequence, limit],
    );
    return rows.map(toResult);
  }
}
