import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { stopWorker } from './worker-stop.js';

/** The WAL may grow to this many pages (4 KiB each) before the writer checkpoints again itself. */
const WAL_LIMIT_PAGES = 65_536;
/** SQLite's own default: the writer checkpoints each time the WAL passes this many pages. */
const AUTOCHECKPOINT_PAGES = 1000;

// A worker of its own (CommonJS, evaluated): one connection to the same file, checkpointing
// without waiting for anyone (a busy database is tried again on the next tick).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const run = () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message) });
  }
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Moves WAL checkpoints off the writer: SQLite's writer copies the WAL back into the database
 * file itself every 1000 pages, inside a commit, on the event loop; on a large store those pages
 * are scattered and the copy costs as much as the writes. A worker thread with its own connection
 * checkpoints instead, every `intervalMs`, never waiting for a lock; the writer's own checkpoints
 * come back only while the WAL is longer than 256 MiB (the worker falling behind).
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | undefined;

  constructor(db: Database.Database, path: string, intervalMs = 500) {
    db.pragma('wal_autocheckpoint = 0');
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, { eval: true, workerData: { driver, path, intervalMs } });
    this.worker.unref();
    this.worker.on('message', (result: { log?: number; error?: string }) => {
      if (result.log === undefined || !db.open) return;
      db.pragma(`wal_autocheckpoint = ${result.log > WAL_LIMIT_PAGES ? AUTOCHECKPOINT_PAGES : 0}`);
    });
    // A worker that cannot run leaves the checkpoints to the writer, as SQLite does by default.
    this.worker.on('error', () => {
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    });
  }

  /** Stops the worker (its connection closed); before the writer's connection closes. */
  stop(): Promise<void> {
    this.stopped ??= stopWorker(this.worker);
    return this.stopped;
  }
}
