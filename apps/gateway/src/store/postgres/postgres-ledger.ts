import type { PoolClient } from 'pg';
import {
  costsQuery,
  costValues,
  monthOf,
  type Settlement,
  toBalance,
  toCostRow,
  toEntry,
} from '../campaign-rows.js';
import {
  type AccountBalance,
  type CostRow,
  InsufficientCreditError,
  type LedgerEntry,
  type LedgerStore,
} from '../campaign-store.js';
import type { PostgresConnection } from './postgres-connection.js';

type Row = Record<string, unknown>;
export type Queryable = Pick<PoolClient, 'query'>;
type Subject = { messageId?: string | undefined; campaignId?: string | undefined };

/** Slots a provider's monthly spend is spread over (see the migration): one is picked per settlement. */
const SPEND_SLOTS = 16;

/**
 * The credit ledger and spend on PostgreSQL, as `SqliteLedger` keeps them on SQLite: entries are
 * appended, never changed, and `credit_accounts` caches each account's sums in the transaction
 * that appends. The `*In` methods run inside the message store's transactions, on its client.
 *
 * A reservation is one conditional `UPDATE ... WHERE balance >= amount` on the account's row: the
 * row lock serialises concurrent reservations across connections and instances, and each one
 * re-reads the balance the one before left, so together they never hold more than it.
 */
export class PostgresLedger implements LedgerStore {
  constructor(private readonly connection: PostgresConnection) {}

  /** Inside a transaction: appends an entry and moves the account's cached sums with it (one statement). */
  async appendIn(
    client: Queryable,
    entry: Omit<LedgerEntry, 'id'>,
    effect: { held?: number; debited?: number } = {},
  ): Promise<LedgerEntry> {
    const { rows } = await client.query(
      `WITH account AS (
         INSERT INTO credit_accounts (account, balance, held, debited) VALUES ($1, $3, $8, $9)
         ON CONFLICT (account) DO UPDATE SET balance = credit_accounts.balance + excluded.balance,
           held = credit_accounts.held + excluded.held, debited = credit_accounts.debited + excluded.debited)
       INSERT INTO credit_ledger (account, kind, amount, message_id, campaign_id, reference, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        entry.account,
        entry.kind,
        entry.amountMicros,
        entry.messageId ?? null,
        entry.campaignId ?? null,
        entry.reference ?? null,
        entry.createdAt,
        effect.held ?? 0,
        effect.debited ?? 0,
      ],
    );
    return toEntry(rows[0] as Row);
  }

  /**
   * Inside a transaction: reserves `micros` or throws `InsufficientCreditError` (the transaction is
   * then rolled back, storing nothing). Waits for the account's row while another transaction
   * holds it, then checks the balance that one left.
   */
  async reserveIn(client: Queryable, account: string, micros: number, subject: Subject, now: number) {
    const reserved = await client.query(
      `WITH reserved AS (
         UPDATE credit_accounts SET balance = balance - $2, held = held + $2
         WHERE account = $1 AND balance >= $2 RETURNING account)
       INSERT INTO credit_ledger (account, kind, amount, message_id, campaign_id, created_at)
       SELECT account, 'reserve', -$2::bigint, $3, $4, $5 FROM reserved WHERE $2 > 0 RETURNING id`,
      [account, micros, subject.messageId ?? null, subject.campaignId ?? null, now],
    );
    if ((reserved.rowCount ?? 0) > 0) return;
    // Nothing appended: a reservation of 0 that fits, or a balance too short.
    const balance = Number(
      (await client.query('SELECT balance FROM credit_accounts WHERE account = $1', [account])).rows[0]
        ?.balance ?? 0,
    );
    if (balance < micros) {
      throw new InsufficientCreditError({ account, balanceMicros: balance, requiredMicros: micros });
    }
  }

  /** Inside a transaction: gives back what a message or campaign held. */
  async releaseIn(client: Queryable, account: string, micros: number, subject: Subject, now: number) {
    if (micros <= 0) return;
    await this.appendIn(
      client,
      { account, kind: 'release', amountMicros: micros, ...subject, createdAt: now },
      { held: -micros },
    );
  }

  /**
   * Inside the outcome's transaction: the message's hold is released and, when the provider
   * accepted it, its cost debited and counted (provider spend, cost report).
   */
  async settleIn(client: Queryable, settlement: Settlement, now: number): Promise<void> {
    const { account, messageId, campaignId, debitMicros } = settlement;
    if (account !== undefined) {
      await this.releaseIn(client, account, settlement.heldMicros, { messageId, campaignId }, now);
      if (debitMicros !== undefined && debitMicros > 0) {
        await this.appendIn(
          client,
          { account, kind: 'debit', amountMicros: -debitMicros, messageId, campaignId, createdAt: now },
          { debited: debitMicros },
        );
      }
    }
    if (debitMicros !== undefined && settlement.providerId !== undefined) {
      await client.query(
        `WITH spend AS (
           INSERT INTO provider_spend (provider_id, month, slot, amount) VALUES ($2, $9, $10, $8)
           ON CONFLICT (provider_id, month, slot) DO UPDATE SET amount = provider_spend.amount + excluded.amount)
         INSERT INTO message_costs (message_id, provider_id, migration_side, campaign_id, api_key_id, day, at, amount)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (message_id) DO NOTHING`,
        [...costValues(settlement, debitMicros, now), monthOf(now), Math.floor(Math.random() * SPEND_SLOTS)],
      );
    }
  }

  topUp(account: string, micros: number, reference: string | undefined, now: number): Promise<LedgerEntry> {
    return this.connection.transaction('top up credits', (client) =>
      this.appendIn(client, { account, kind: 'top-up', amountMicros: micros, reference, createdAt: now }),
    );
  }

  async balance(account: string): Promise<AccountBalance> {
    const [row] = await this.connection.read(
      'read a credit balance',
      'SELECT * FROM credit_accounts WHERE account = $1',
      [account],
    );
    return toBalance(account, row);
  }

  async entries(
    account: string,
    options: { limit: number; before?: number | undefined },
  ): Promise<LedgerEntry[]> {
    const rows = await this.connection.read(
      'read the credit ledger',
      'SELECT * FROM credit_ledger WHERE account = $1 AND id < $2 ORDER BY id DESC LIMIT $3',
      [account, options.before ?? Number.MAX_SAFE_INTEGER, options.limit],
    );
    return rows.map(toEntry);
  }

  async monthSpend(providerId: string, now: number): Promise<number> {
    const [row] = await this.connection.read(
      'read a provider spend',
      'SELECT COALESCE(SUM(amount), 0) AS amount FROM provider_spend WHERE provider_id = $1 AND month = $2',
      [providerId, monthOf(now)],
    );
    return (row?.amount as number | undefined) ?? 0;
  }

  async costs(options: Parameters<LedgerStore['costs']>[0]): Promise<CostRow[]> {
    const { sql, parameters } = costsQuery(options, (index) => `$${index}`);
    return (await this.connection.read('report costs', sql, parameters)).map(toCostRow);
  }
}
