import type Database from 'better-sqlite3';
import { cancelledCallback } from '../callbacks/callback-body.js';
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
} from './campaign-rows.js';
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
} from './campaign-store.js';
import type { CallbackRequest, StoredMessage } from './message-store.js';
import type { SqliteLedger } from './sqlite-ledger.js';

type Row = Record<string, unknown>;

export interface SqliteCampaignsContext {
  write: <T>(what: string, run: () => T) => Promise<T>;
  ledger: SqliteLedger;
  /** The message store's own insert, inside a write (recipient index, dispatcher wake-up). */
  insertMessage: (message: StoredMessage, claimedBy: string | undefined) => void;
  toMessage: (row: Row) => StoredMessage;
  /** The message store's own callback outbox, inside a write. */
  queueCallback: (messageId: string, callback: CallbackRequest, now: number) => void;
}

/** Campaigns on the message store's SQLite database, in its transactions (see `SqliteMessageStore`). */
export class SqliteCampaigns implements CampaignStore {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly context: SqliteCampaignsContext,
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO campaigns (id, api_key_id, account, state, definition, reserved, materialized, created_at, updated_at)
         VALUES (@id, @apiKeyId, @account, @state, @definition, 0, 0, @createdAt, @updatedAt)`,
      ),
      get: db.prepare('SELECT * FROM campaigns WHERE id = ?'),
      listAll: db.prepare(
        `SELECT * FROM campaigns WHERE state != 'uploading' ORDER BY created_at DESC, id DESC LIMIT ?`,
      ),
      listByKey: db.prepare(
        `SELECT * FROM campaigns WHERE api_key_id = ? AND state != 'uploading' ORDER BY created_at DESC, id DESC LIMIT ?`,
      ),
      addRecipient: db.prepare(
        `INSERT OR IGNORE INTO campaign_recipients (campaign_id, sequence, recipient, variables)
         VALUES (?, ?, ?, ?)`,
      ),
      completeUpload: db.prepare(
        `UPDATE campaigns SET state = 'draft', report = ?, updated_at = ? WHERE id = ? AND state = 'uploading'`,
      ),
      deleteRecipients: db.prepare('DELETE FROM campaign_recipients WHERE campaign_id = ?'),
      deleteCampaign: db.prepare(`DELETE FROM campaigns WHERE id = ? AND state = 'uploading'`),
      uploading: db.prepare(`SELECT id FROM campaigns WHERE state = 'uploading'`),
      start: db.prepare(
        `UPDATE campaigns SET state = @state, bulk = @bulk, reserved = @reserved, started_at = @now, updated_at = @now
         WHERE id = @id AND state = 'draft'`,
      ),
      transition: db.prepare('UPDATE campaigns SET state = ?, updated_at = ? WHERE id = ? AND state = ?'),
      active: db.prepare(
        `SELECT * FROM campaigns WHERE state IN ('running', 'scheduled') ORDER BY created_at`,
      ),
      pending: db.prepare(
        `SELECT sequence, recipient, variables FROM campaign_recipients INDEXED BY campaign_recipients_pending
         WHERE campaign_id = ? AND state = 'pending' ORDER BY sequence LIMIT ?`,
      ),
      take: db.prepare(
        `UPDATE campaign_recipients SET state = 'queued', message_id = ?
         WHERE campaign_id = ? AND sequence = ? AND state = 'pending'`,
      ),
      addMaterialized: db.prepare(
        'UPDATE campaigns SET materialized = materialized + ?, updated_at = ? WHERE id = ?',
      ),
      unfinished: db.prepare(
        `SELECT COUNT(*) AS count FROM messages WHERE campaign_id = ? AND dispatch_state IN ('queued', 'in-flight', 'waiting')`,
      ),
      pendingCount: db.prepare(
        `SELECT COUNT(*) AS count FROM campaign_recipients INDEXED BY campaign_recipients_pending
         WHERE campaign_id = ? AND state = 'pending'`,
      ),
      cancelRecipients: db.prepare(
        `UPDATE campaign_recipients SET state = 'cancelled' WHERE campaign_id = ? AND state = 'pending'`,
      ),
      unclaimed: db.prepare(
        `SELECT * FROM messages WHERE campaign_id = ? AND dispatch_state IN ('queued', 'waiting')`,
      ),
      cancelMessage: db.prepare(
        `UPDATE messages SET dispatch_state = 'done', status = 'failed', error_kind = 'routing', error_code = ?,
           error_message = ?, charged = 0,
           next_attempt_at = NULL, claimed_by = NULL, updated_at = ?
         WHERE id = ? AND dispatch_state IN ('queued', 'waiting')`,
      ),
      finish: db.prepare(
        `UPDATE campaigns SET state = ?, materialized = reserved, finished_at = ?, updated_at = ? WHERE id = ?`,
      ),
      count: db.prepare(
        `INSERT INTO campaign_counts (campaign_id, status, provider_id, error_kind, messages, cost)
         VALUES (@campaignId, @status, @providerId, @errorKind, @messages, @cost)
         ON CONFLICT (campaign_id, status, provider_id, error_kind)
         DO UPDATE SET messages = messages + excluded.messages, cost = cost + excluded.cost`,
      ),
      // With the counters no message is left in: the cost of the messages that moved on stays in them.
      counts: db.prepare('SELECT * FROM campaign_counts WHERE campaign_id = ?'),
      countCancelled: db.prepare('UPDATE campaigns SET cancelled = cancelled + ? WHERE id = ?'),
      results: db.prepare(
        `SELECT r.sequence, r.recipient, r.state, r.message_id, m.status, m.provider_id, m.provider_message_id,
           m.bulk_id, m.charged, m.error_kind, m.error_code, m.error_message
         FROM campaign_recipients AS r LEFT JOIN messages AS m ON m.id = r.message_id
         WHERE r.campaign_id = ? AND r.sequence > ? ORDER BY r.sequence LIMIT ?`,
      ),
    };
  }

  async createCampaign(campaign: CampaignRecord): Promise<void> {
    await this.context.write('create a campaign', () => {
      this.statements.insert.run({
        id: campaign.id,
        apiKeyId: campaign.apiKeyId,
        account: campaign.account ?? null,
        state: 'uploading',
        definition: JSON.stringify(campaign.definition),
        createdAt: campaign.createdAt,
        updatedAt: campaign.updatedAt,
      });
    });
  }

  async addRecipients(campaignId: string, recipients: readonly CampaignRecipient[]): Promise<number[]> {
    return this.context.write('store campaign recipients', () => {
      const duplicates: number[] = [];
      for (const recipient of recipients) {
        const { changes } = this.statements.addRecipient.run(
          campaignId,
          recipient.sequence,
          recipient.recipient,
          variablesColumn(recipient),
        );
        if (changes === 0) duplicates.push(recipient.sequence);
      }
      return duplicates;
    });
  }

  async completeUpload(campaignId: string, report: ValidationReport, now: number): Promise<void> {
    await this.context.write('complete a campaign upload', () => {
      this.statements.completeUpload.run(JSON.stringify(report), now, campaignId);
    });
  }

  async discardUpload(campaignId: string): Promise<void> {
    await this.context.write('discard a campaign upload', () => {
      if (this.statements.deleteCampaign.run(campaignId).changes > 0) {
        this.statements.deleteRecipients.run(campaignId);
      }
    });
  }

  async discardUnfinishedUploads(): Promise<number> {
    const ids = (this.statements.uploading.all() as Row[]).map((row) => row.id as string);
    for (const id of ids) await this.discardUpload(id);
    return ids.length;
  }

  async get(campaignId: string): Promise<CampaignRecord | undefined> {
    const row = this.statements.get.get(campaignId) as Row | undefined;
    return row ? toCampaign(row) : undefined;
  }

  async list(apiKeyId: string | undefined, limit: number): Promise<CampaignRecord[]> {
    const rows =
      apiKeyId === undefined
        ? this.statements.listAll.all(limit)
        : this.statements.listByKey.all(apiKeyId, limit);
    return (rows as Row[]).map(toCampaign);
  }

  async start(
    campaignId: string,
    options: { state: 'running' | 'scheduled'; bulk: boolean; reserveMicros: number },
    now: number,
  ): ReturnType<CampaignStore['start']> {
    return this.context.write('start a campaign', () => {
      const row = this.statements.get.get(campaignId) as Row | undefined;
      if (row?.state !== 'draft') return { started: false as const, state: row?.state as CampaignState };
      const account = row.account as string | null;
      if (account !== null) {
        try {
          this.context.ledger.reserveInWrite(account, options.reserveMicros, { campaignId }, now);
        } catch (error) {
          const shortfall = (error as { shortfall?: unknown }).shortfall;
          if (!shortfall) throw error;
          return { started: false as const, state: 'draft' as const, shortfall: shortfall as never };
        }
      }
      this.statements.start.run({
        id: campaignId,
        state: options.state,
        bulk: options.bulk ? 1 : 0,
        reserved: account === null ? 0 : options.reserveMicros,
        now,
      });
      return { started: true as const };
    });
  }

  async transition(
    campaignId: string,
    from: readonly CampaignState[],
    to: CampaignState,
    now: number,
  ): Promise<boolean> {
    return this.context.write('change a campaign state', () =>
      from.some((state) => this.statements.transition.run(to, now, campaignId, state).changes > 0),
    );
  }

  async active(): Promise<CampaignRecord[]> {
    return (this.statements.active.all() as Row[]).map(toCampaign);
  }

  async pendingRecipients(campaignId: string, limit: number): Promise<CampaignRecipient[]> {
    return (this.statements.pending.all(campaignId, limit) as Row[]).map(toRecipient);
  }

  async materialize(
    campaignId: string,
    messages: readonly CampaignMessage[],
    claimedBy: string | undefined,
  ): Promise<StoredMessage[]> {
    return this.context.write('queue campaign messages', () => {
      const stored: StoredMessage[] = [];
      let held = 0;
      for (const { sequence, message } of messages) {
        if (this.statements.take.run(message.id, campaignId, sequence).changes === 0) continue;
        this.context.insertMessage(message, claimedBy);
        held += message.charge?.heldMicros ?? 0;
        stored.push(claimedBy ? { ...message, dispatchState: 'in-flight', attemptCount: 0 } : message);
      }
      if (stored.length > 0) {
        this.statements.addMaterialized.run(held, messages[0]?.message.createdAt ?? 0, campaignId);
        this.addCount(campaignId, { status: 'queued' }, stored.length, 0);
      }
      return stored;
    });
  }

  private addCount(campaignId: string, key: CountKey, messages: number, cost: number): void {
    this.statements.count.run({
      campaignId,
      status: key.status,
      providerId: key.providerId ?? '',
      errorKind: key.errorKind ?? '',
      messages,
      cost,
    });
  }

  /** Inside a write: a campaign message moved (an outcome, a receipt), with what it cost. */
  moveInWrite(campaignId: string, from: CountKey, to: CountKey, cost: number): void {
    this.addCount(campaignId, from, -1, 0);
    this.addCount(campaignId, to, 1, cost);
  }

  async unfinished(campaignId: string): Promise<number> {
    return (this.statements.unfinished.get(campaignId) as { count: number }).count;
  }

  /** Inside a write: the campaign ends in `state`, releasing what it still holds itself. */
  private end(row: Row, state: CampaignState, now: number): void {
    const account = row.account as string | null;
    const left = (row.reserved as number) - (row.materialized as number);
    if (account !== null && left > 0) {
      this.context.ledger.releaseInWrite(account, left, { campaignId: row.id as string }, now);
    }
    this.statements.finish.run(state, now, now, row.id);
  }

  async cancel(campaignId: string, now: number): Promise<boolean> {
    return this.context.write('cancel a campaign', () => {
      const row = this.statements.get.get(campaignId) as Row | undefined;
      if (!row || !['draft', 'scheduled', 'running', 'paused'].includes(row.state as string)) return false;
      const cancelled = this.statements.cancelRecipients.run(campaignId).changes;
      this.statements.countCancelled.run(cancelled, campaignId);
      for (const messageRow of this.statements.unclaimed.all(campaignId) as Row[]) {
        const message = this.context.toMessage(messageRow);
        const cancelled = this.statements.cancelMessage.run(
          CANCELLED_ERROR_CODE,
          CANCELLED_ERROR_MESSAGE,
          now,
          message.id,
        );
        if (cancelled.changes === 0) continue;
        // Its final status, to the client like any other: it will never be sent.
        const callback = cancelledCallback(message, now);
        if (callback) this.context.queueCallback(message.id, callback, now);
        this.moveInWrite(
          campaignId,
          { status: message.status, providerId: message.providerId, errorKind: message.error?.kind },
          { status: 'failed', providerId: message.providerId, errorKind: 'routing' },
          0,
        );
        if (message.charge) {
          this.context.ledger.releaseInWrite(
            message.charge.account,
            message.charge.heldMicros,
            { messageId: message.id, campaignId },
            now,
          );
        }
      }
      this.end(row, 'cancelled', now);
      return true;
    });
  }

  async completeIfDone(campaignId: string, now: number): Promise<boolean> {
    return this.context.write('complete a campaign', () => {
      const row = this.statements.get.get(campaignId) as Row | undefined;
      if (row?.state !== 'running') return false;
      if ((this.statements.pendingCount.get(campaignId) as { count: number }).count > 0) return false;
      if ((this.statements.unfinished.get(campaignId) as { count: number }).count > 0) return false;
      this.end(row, 'completed', now);
      return true;
    });
  }

  async progress(campaignId: string): Promise<CampaignProgress> {
    const campaign = this.statements.get.get(campaignId) as Row | undefined;
    return progressOf(campaign, this.statements.counts.all(campaignId) as Row[]);
  }

  async aggregates(campaignId: string): Promise<CampaignAggregates> {
    return aggregatesOf(this.statements.counts.all(campaignId) as Row[]);
  }

  async results(campaignId: string, afterSequence: number, limit: number): Promise<CampaignResult[]> {
    return (this.statements.results.all(campaignId, afterSequence, limit) as Row[]).map(toResult);
  }
}
