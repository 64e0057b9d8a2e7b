import type pg from 'pg';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { InsufficientCreditError } from '../campaign-store.js';
import type { StoreWriteHealth } from '../message-store.js';
import { StoreUnavailableError } from '../store-error.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

/** What the adapter needs of `pg`, loaded only when the config names PostgreSQL. */
export type PgModule = typeof pg;

/** `pg` is an optional dependency of the gateway: installed by those who run on PostgreSQL. */
export async function loadPg(): Promise<PgModule> {
  try {
    const loaded = (await import('pg')) as unknown as { default?: PgModule } & PgModule;
    return loaded.default ?? loaded;
  } catch (error) {
    throw new StoreUnavailableError(
      'store.driver is postgres, but cannot find the "pg" package — is it installed? (npm install pg)',
      error,
    );
  }
}

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Times are epoch milliseconds in BIGINT columns and counts are BIGINT: both are read as numbers
 * (every value here is far below 2^53), as the SQLite adapter gives them.
 */
export function numericTypes(pg: PgModule): NonNullable<PoolConfig['types']> {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8 || oid === NUMERIC
        ? (value: string) => Number(value)
        : pg.types.getTypeParser(oid, format)) as never,
  };
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name is put into SQL as an identifier: only plain lower-case names are taken. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreUnavailableError(
      `store.schema "${schema}" is not a plain lower-case name (letters, digits, underscores)`,
      undefined,
    );
  }
  return schema;
}

/** Failures that pass when the server comes back: refused or lost connections, a server shutting down, no room. */
const CONNECTION_FAILURE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|08|53|57P0)/;

export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_FAILURE.test(code)) return true;
  const message = (error as { message?: unknown } | null)?.message;
  return (
    typeof message === 'string' && /Connection terminated|connection timeout|not queryable/i.test(message)
  );
}

/** Who may run what in the store, and its write health: one per store object. */
export class PostgresConnection {
  private health: StoreWriteHealth = { writable: true };

  constructor(readonly pool: Pool) {}

  get writeHealth(): StoreWriteHealth {
    return this.health;
  }

  /** A read; a failure is a `StoreUnavailableError` naming what could not be read. */
  async read<T extends Record<string, unknown>>(
    what: string,
    sql: string,
    values: unknown[] = [],
  ): Promise<T[]> {
    try {
      return (await this.pool.query(sql, values)).rows as T[];
    } catch (error) {
      throw this.unavailable(what, error);
    }
  }

  /** One statement, committed on its own. */
  async run(
    what: string,
    sql: string,
    values: unknown[] = [],
  ): Promise<{ rows: Record<string, unknown>[]; count: number }> {
    try {
      const result = await this.pool.query(sql, values);
      this.health = { writable: true };
      return { rows: result.rows, count: result.rowCount ?? 0 };
    } catch (error) {
      throw this.failed(what, error);
    }
  }

  /** `work` in one transaction, committed; rolled back whole when anything in it throws. */
  async transaction<T>(what: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.failed(what, error);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const value = await work(client);
      await client.query('COMMIT');
      this.health = { writable: true };
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: Error) => {
        broken = rollback;
      });
      throw this.failed(what, error);
    } finally {
      client.release(broken);
    }
  }

  private failed(what: string, error: unknown): Error {
    if (isConnectionFailure(error) && this.health.writable) {
      this.health = {
        writable: false,
        reason: `cannot ${what}: ${(error as Error).message}`,
        since: Date.now(),
      };
    }
    return this.unavailable(what, error);
  }

  /** A refused reservation is the caller's answer, not an outage: it passes through as it is. */
  private unavailable(what: string, error: unknown): Error {
    return StoreUnavailableError.isInstance(error) || error instanceof InsufficientCreditError
      ? error
      : new StoreUnavailableError(`cannot ${what}: ${(error as Error).message}`, error);
  }
}

/**
 * Applies the migrations not yet applied, each in its own transaction under a transaction-scoped
 * advisory lock on the schema: instances starting together apply each one once, in order, and a
 * migration that fails is rolled back whole (PostgreSQL's DDL is transactional), leaving the
 * schema as it was and the start failing with the reason.
 */
export async function migratePostgres(
  pool: Pool,
  schema: string,
  migrations: readonly string[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const applied: number[] = [];
  for (const [index, sql] of migrations.entries()) {
    const version = index + 1;
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`msg.migrations:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
      );
      const done = await client.query(`SELECT 1 FROM "${schema}".schema_migrations WHERE version = $1`, [
        version,
      ]);
      if (done.rowCount === 0) {
        await client.query(`SET LOCAL search_path TO "${schema}"`);
        await client.query(sql);
        await client.query(
          `INSERT INTO "${schema}".schema_migrations (version, applied_at) VALUES ($1, $2)`,
          [version, Date.now()],
        );
        applied.push(version);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: Error) => {
        broken = rollback;
      });
      throw new StoreUnavailableError(
        `cannot apply schema migration ${version} to "${schema}": ${(error as Error).message}`,
        error,
      );
    } finally {
      client.release(broken);
    }
  }
  return applied;
}
