import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { stopWorker } from './worker-stop.js';

/** Runs a read-only query: `get` gives the first row, `all` every row. */
export interface SqliteRead {
  get(sql: string, ...parameters: unknown[]): Promise<Record<string, unknown> | undefined>;
  all(sql: string, ...parameters: unknown[]): Promise<Array<Record<string, unknown>>>;
}

/** Reads on the store's own connection, on the event loop (an in-memory store has no other). */
export function readsOnConnection(db: Database.Database): SqliteRead {
  return {
    get: async (sql, ...parameters) =>
      db.prepare(sql).get(...parameters) as Record<string, unknown> | undefined,
    all: async (sql, ...parameters) => db.prepare(sql).all(...parameters) as Array<Record<string, unknown>>,
  };
}

// A worker of its own (CommonJS, evaluated): one read-only connection to the same file, each
// statement prepared once. WAL lets it read while the writer commits.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map();
parentPort.on('message', (request) => {
  if (request === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    let statement = statements.get(request.sql);
    if (!statement) {
      statement = db.prepare(request.sql);
      statements.set(request.sql, statement);
    }
    const rows = request.mode === 'get' ? statement.get(...request.parameters) : statement.all(...request.parameters);
    parentPort.postMessage({ id: request.id, rows });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: String(error && error.message) });
  }
});
`;

interface Pending {
  resolve: (rows: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Long reads off the event loop: a migration's analysis and its charts aggregate every message of
 * a window (a day of a busy route is millions of rows), which on the store's connection would stop
 * every send and every request until done. A worker thread with its own read-only connection runs
 * them instead; the event loop only waits for the answer. A worker that fails hands its reads
 * back to the store's connection.
 */
export class SqliteReader implements SqliteRead {
  private worker: Worker | undefined;
  private started: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed = false;
  private stopped: Promise<void> | undefined;
  private readonly fallback: SqliteRead;

  constructor(
    db: Database.Database,
    private readonly path: string,
  ) {
    this.fallback = readsOnConnection(db);
  }

  /**
   * Settles once the worker runs, or with why it cannot (its reads then run on the connection).
   * The worker starts with the first read, not with the store: a gateway nobody asks for an
   * analysis (a campaign sender, say) saves the memory of a thread and its connection.
   */
  get online(): Promise<void> {
    this.start();
    return this.started as Promise<void>;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER, { eval: true, workerData: { driver, path: this.path } });
    this.worker = worker;
    worker.unref();
    this.started = new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
      worker.once('exit', () => reject(new Error('[msg] [store] the reader thread stopped')));
    });
    // Nobody need wait for it: a worker that cannot start hands its reads back.
    this.started.catch(() => {});
    worker.on('message', (answer: { id: number; rows?: unknown; error?: string }) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      if (answer.error !== undefined) pending.reject(new Error(answer.error));
      else pending.resolve(answer.rows);
    });
    const fail = (error: Error) => {
      this.failed = true;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('[msg] [store] the reader thread stopped')));
    return worker;
  }

  get(sql: string, ...parameters: unknown[]): Promise<Record<string, unknown> | undefined> {
    return this.query('get', sql, parameters) as Promise<Record<string, unknown> | undefined>;
  }

  all(sql: string, ...parameters: unknown[]): Promise<Array<Record<string, unknown>>> {
    return this.query('all', sql, parameters) as Promise<Array<Record<string, unknown>>>;
  }

  private query(mode: 'get' | 'all', sql: string, parameters: unknown[]): Promise<unknown> {
    if (this.failed || this.stopped) return this.fallback[mode](sql, ...parameters);
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held while a read is out: a process must not exit with an answer on the way.
      worker.ref();
      worker.postMessage({ id, mode, sql, parameters });
    }).finally(() => {
      if (this.pending.size === 0 && !this.stopped) worker.unref();
    });
  }

  /** Stops the worker (its connection closed); before the writer's connection closes. */
  stop(): Promise<void> {
    this.stopped ??= this.worker ? stopWorker(this.worker) : Promise.resolve();
    return this.stopped;
  }
}
