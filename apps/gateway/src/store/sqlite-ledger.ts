import type Database from 'better-sqlite3';
import {
  costsQuery,
  costValues,
  monthOf,
  type Settlement,
  toBalance,
  toCostRow,
  toEntry,
} from './campaign-rows.js';
import {
  type AccountBalance,
  type CostRow,
  InsufficientCreditError,
  type LedgerEntry,
  type LedgerStore,
} from './campaign-store.js';

type Row = Record<string, unknown>;

type Write = <T>(what: string, run: () => T) => Promise<T>;

/**
 * The credit ledger and spend on SQLite. Each entry is appended, never changed; `credit_accounts`
 * caches each account's sum (and what it holds and was debited), updated in the transaction
 * that appends, so a balance check and the reservation it allows are one step. The `*InWrite`
 * methods run inside the message store's transactions (accept, finishDispatch, campaign steps).
 */
export class SqliteLedger implements LedgerStore {
  private readonly statements;

  constructor(
    private readonly db: Database.Database,
    private readonly write: Write,
  ) {
    this.statements = {
      append: db.prepare(
        `INSERT INTO credit_ledger (account, kind, amount, message_id, campaign_id, reference, created_at)
         VALUES (@account, @kind, @amount, @messageId, @campaignId, @reference, @createdAt) RETURNING *`,
      ),
      // The same entry when nobody reads it back (every message's hold and settlement).
      record: db.prepare(
        `INSERT INTO credit_ledger (account, kind, amount, message_id, campaign_id, reference, created_at)
         VALUES (@account, @kind, @amount, @messageId, @campaignId, @reference, @createdAt)`,
      ),
      ensureAccount: db.prepare(
        'INSERT INTO credit_accounts (account) VALUES (?) ON CONFLICT (account) DO NOTHING',
      ),
      adjust: db.prepare(
        `UPDATE credit_accounts SET balance = balance + @amount, held = held + @held, debited = debited + @debited
         WHERE account = @account`,
      ),
      account: db.prepare('SELECT * FROM credit_accounts WHERE account = ?'),
      entries: db.prepare(
        'SELECT * FROM credit_ledger WHERE account = ? AND id < ? ORDER BY id DESC LIMIT ?',
      ),
      spend: db.prepare(
        `INSERT INTO provider_spend (provider_id, month, amount) VALUES (?, ?, ?)
         ON CONFLICT (provider_id, month) DO UPDATE SET amount = amount + excluded.amount`,
      ),
      monthSpend: db.prepare('SELECT amount FROM provider_spend WHERE provider_id = ? AND month = ?'),
      cost: db.prepare(
        `INSERT OR IGNORE INTO message_costs (message_id, provider_id, migration_side, campaign_id, api_key_id, day, at, amount)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  /** Inside a write: appends an entry and moves the account's cached sums with it. */
  appendInWrite(
    entry: Omit<LedgerEntry, 'id'>,
    effect: { held?: number; debited?: number } = {},
  ): LedgerEntry {
    return toEntry(this.insertInWrite(entry, effect, true) as Row);
  }

  /** The entry and its effect on the account's totals; the stored row only when `returning`. */
  private insertInWrite(
    entry: Omit<LedgerEntry, 'id'>,
    effect: { held?: number; debited?: number },
    returning: boolean,
  ): unknown {
    this.statements.ensureAccount.run(entry.account);
    const values = {
      account: entry.account,
      kind: entry.kind,
      amount: entry.amountMicros,
      messageId: entry.messageId ?? null,
      campaignId: entry.campaignId ?? null,
      reference: entry.reference ?? null,
      createdAt: entry.createdAt,
    };
    const row = returning ? this.statements.append.get(values) : this.statements.record.run(values);
    this.statements.adjust.run({
      account: entry.account,
      amount: entry.amountMicros,
      held: effect.held ?? 0,
      debited: effect.debited ?? 0,
    });
    return row;
  }

  /** Inside a write: reserves `micros` or throws `InsufficientCreditError` (the write then stores nothing). */
  reserveInWrite(
    account: string,
    micros: number,
    subject: { messageId?: string | undefined; campaignId?: string | undefined },
    now: number,
  ): void {
    const balance = (this.statements.account.get(account) as Row | undefined)?.balance as number | undefined;
    if ((balance ?? 0) < micros) {
      throw new InsufficientCreditError({ account, balanceMicros: balance ?? 0, requiredMicros: micros });
    }
    if (micros === 0) return;
    this.insertInWrite(
      { account, kind: 'reserve', amountMicros: -micros, ...subject, createdAt: now },
      { held: micros },
      false,
    );
  }

  /** Inside a write: gives back what a message or campaign held. */
  releaseInWrite(
    account: string,
    micros: number,
    subject: { messageId?: string | undefined; campaignId?: string | undefined },
    now: number,
  ): void {
    if (micros <= 0) return;
    this.insertInWrite(
      { account, kind: 'release', amountMicros: micros, ...subject, createdAt: now },
      { held: -micros },
      false,
    );
  }

  /**
   * Inside the outcome's write: the message's hold is released and, when the provider accepted
   * it, its cost debited and counted (provider spend, cost report).
   */
  settleInWrite(settlement: Settlement, now: number): void {
    const { account, messageId, campaignId, debitMicros } = settlement;
    if (account !== undefined) {
      this.releaseInWrite(account, settlement.heldMicros, { messageId, campaignId }, now);
      if (debitMicros !== undefined && debitMicros > 0) {
        this.insertInWrite(
          { account, kind: 'debit', amountMicros: -debitMicros, messageId, campaignId, createdAt: now },
          { debited: debitMicros },
          false,
        );
      }
    }
    if (debitMicros !== undefined && settlement.providerId !== undefined) {
      this.statements.spend.run(settlement.providerId, monthOf(now), debitMicros);
      this.statements.cost.run(...costValues(settlement, debitMicros, now));
    }
  }

  topUp(account: string, micros: number, reference: string | undefined, now: number): Promise<LedgerEntry> {
    return this.write('top up credits', () =>
      this.appendInWrite({ account, kind: 'top-up', amountMicros: micros, reference, createdAt: now }),
    );
  }

  async balance(account: string): Promise<AccountBalance> {
    const row = this.statements.account.get(account) as Row | undefined;
    return toBalance(account, row);
  }

  async entries(
    account: string,
    options: { limit: number; before?: number | undefined },
  ): Promise<LedgerEntry[]> {
    const rows = this.statements.entries.all(
      account,
      options.before ?? Number.MAX_SAFE_INTEGER,
      options.limit,
    );
    return (rows as Row[]).map(toEntry);
  }

  async monthSpend(providerId: string, now: number): Promise<number> {
    const row = this.statements.monthSpend.get(providerId, monthOf(now)) as Row | undefined;
    return (row?.amount as number | undefined) ?? 0;
  }

  async costs(options: {
    since: number;
    until: number;
    groupBy: ReadonlyArray<'provider' | 'side' | 'campaign' | 'day'>;
    apiKeyId?: string | undefined;
  }): Promise<CostRow[]> {
    const { sql, parameters } = costsQuery(options, () => '?');
    return (this.db.prepare(sql).all(...parameters) as Row[]).map(toCostRow);
  }
}
