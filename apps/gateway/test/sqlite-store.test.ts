import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite-migrations.js';
import { SqliteMessageStore, StoreUnavailableError } from '../src/store/sqlite-store.js';
import { FullDiskStore } from './fixtures/full-disk-store.js';
import { describeOperationsStore } from './operations-contract.js';
import { describeMessageStore, queuedSms } from './store-contract.js';

describeMessageStore('sqlite (memory)', async () => new SqliteMessageStore({ path: ':memory:' }));
describeOperationsStore('sqlite (memory)', async () => new SqliteMessageStore({ path: ':memory:' }));
describeOperationsStore(
  'sqlite (file, analysis read in a worker)',
  async () =>
    new SqliteMessageStore({
      path: join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'g.sqlite'),
      checkpoints: 'background',
    }),
);
describeMessageStore(
  'sqlite (file)',
  async () => new SqliteMessageStore({ path: join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'g.sqlite') }),
);

describe('sqlite store on disk', () => {
  it('keeps messages across a reopen and migrates once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'gateway.sqlite');
    const first = new SqliteMessageStore({ path });
    await first.accept(queuedSms('m1'));
    await first.close();
    const second = new SqliteMessageStore({ path });
    await second.renewLease('a', 10_000, 1);
    expect((await second.claimNext('a', 10, 2)).map((message) => message.id)).toEqual(['m1']);
    await second.close();
  });

  it('reports a store it cannot create as unavailable', () => {
    const directory = mkdtempSync(join(tmpdir(), 'msg-store-'));
    writeFileSync(join(directory, 'blocker'), 'a file where a folder should be');
    expect(() => new SqliteMessageStore({ path: join(directory, 'blocker', 'x.sqlite') })).toThrow(
      StoreUnavailableError,
    );
  });

  it('refuses writes to a read-only store with StoreUnavailableError and writes nothing', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'gateway.sqlite');
    await new SqliteMessageStore({ path }).close();
    const readonly = new SqliteMessageStore({ path, readonly: true });
    const attempt = readonly.accept(queuedSms('m2'), { key: 'idem', requestHash: 'h', expiresAt: 10 });
    await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await readonly.get('m2')).toBeUndefined();
    await readonly.close();
  });

  it('reports writes failing on a full disk until a write lands again', async () => {
    const store = new FullDiskStore({ path: join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'g.sqlite') });
    const message = queuedSms('m3');
    store.full = true;
    await expect(store.accept(message)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.writeHealth()).toMatchObject({
      writable: false,
      reason: expect.stringContaining('database or disk is full'),
    });
    await expect(store.probeWrite(2)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.writeHealth().writable).toBe(false);
    store.full = false;
    await store.probeWrite(3);
    expect(store.writeHealth()).toEqual({ writable: true });
    await store.close();
  });

  it('indexes the recipients of messages stored before the recipient index existed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'gateway.sqlite');
    const old = new Database(path);
    // Every migration before the one that made the index (later ones may follow it).
    const before = SQLITE_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE message_recipients'));
    for (const sql of SQLITE_MIGRATIONS.slice(0, before)) old.exec(sql);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (let version = 1; version <= before; version++) {
      old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(version);
    }
    const insert = old.prepare(
      `INSERT INTO messages (id, channel, payload, status, dispatch_state, api_key_id, created_at, updated_at)
       VALUES (?, ?, ?, 'queued', 'queued', 'k', ?, ?)`,
    );
    insert.run(
      'sms-one',
      'sms',
      '{"id":"sms-one","channel":"sms","to":"+260971234567","text":"x"}',
      1000,
      1000,
    );
    insert.run(
      'mail-one',
      'email',
      '{"id":"mail-one","channel":"email","from":{"email":"a@example.com"},"to":[{"email":"Ops@Example.com"}],"subject":"s","text":"t"}',
      2000,
      2000,
    );
    old.close();

    const store = new SqliteMessageStore({ path });
    const ids = async (recipient: string) =>
      (await store.recentByRecipient(recipient, { limit: 10 })).map((item) => item.id);
    expect(await ids('+260971234567')).toEqual(['sms-one']);
    expect(await ids('ops@example.com')).toEqual(['mail-one']);
    await store.close();
  });

  it('upgrades a store of the first schema: callbacks keep their order, sent messages get a deadline', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'gateway.sqlite');
    const old = new Database(path);
    old.exec(SQLITE_MIGRATIONS[0] as string);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    old.prepare('INSERT INTO schema_migrations VALUES (1, 0)').run();
    const insert = old.prepare(
      `INSERT INTO messages (id, channel, payload, status, dispatch_state, api_key_id, provider_id,
         provider_message_id, created_at, updated_at)
       VALUES (?, 'sms', '{"id":"x","channel":"sms","to":"+260971234567","text":"x"}', ?, 'done', 'k', 'twilio', ?, 1000, 2000)`,
    );
    insert.run('sent-one', 'sent', 'SM1');
    insert.run('done-one', 'delivered', 'SM2');
    const callback = old.prepare(
      `INSERT INTO callback_outbox (message_id, url, body, next_attempt_at) VALUES (?, 'http://c', '{"id":"a"}', 0)`,
    );
    callback.run('sent-one');
    callback.run('sent-one');
    old.close();

    const store = new SqliteMessageStore({ path });
    expect(await store.get('sent-one')).toMatchObject({ sentAt: 2000, receiptDueAt: 2000 + 259_200_000 });
    expect((await store.get('done-one'))?.receiptDueAt).toBeUndefined();
    expect((await store.dueCallbacks(0, 10)).map((item) => item.sequence)).toEqual([1]);
    await store.enqueueCallback('sent-one', 'http://c', '{"id":"a"}', 0);
    const [first] = await store.dueCallbacks(0, 10);
    await store.callbackDone(first!.id);
    await store.callbackDone((await store.dueCallbacks(0, 10))[0]!.id);
    expect((await store.dueCallbacks(0, 10)).map((item) => item.sequence)).toEqual([3]);
    const receipt = await store.recordReceipts({
      providerId: 'twilio',
      receipts: [
        {
          event: {
            providerId: 'twilio',
            providerMessageId: 'SM1',
            status: 'delivered',
            providerStatus: 'delivered',
            occurredAt: 3000,
            receivedAt: 3000,
            eventKey: 'e1',
          },
        },
      ],
      sentSince: 0,
      callback: () => undefined,
    });
    expect(receipt).toMatchObject({ outcome: 'accepted', results: [{ message: { id: 'sent-one' } }] });
    await store.close();
  });
});

describe('sqlite store with background checkpoints', () => {
  it('keeps the writer from checkpointing, checkpoints in a worker, and closes it with the store', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'gateway.sqlite');
    const store = new SqliteMessageStore({ path, checkpoints: 'background' });
    // The writer no longer copies the WAL back into the file by itself.
    expect(
      (store as unknown as { db: Database.Database }).db.pragma('wal_autocheckpoint', { simple: true }),
    ).toBe(0);
    const before = statSync(path).size;
    for (let index = 0; index < 2000; index++) {
      await store.accept(
        queuedSms(`m${index}`, {
          message: { id: `m${index}`, channel: 'sms', to: '+260971234567', text: 'x'.repeat(500) },
        }),
      );
    }
    // The worker does: the database file takes the pages written to the WAL.
    let size = before;
    for (let tries = 0; tries < 400 && size <= before; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      size = statSync(path).size;
    }
    expect(size).toBeGreaterThan(before + 500 * 2000);
    await store.close();
    const reopened = new SqliteMessageStore({ path });
    expect((await reopened.backlog(0)).queued).toBe(2000);
    await reopened.close();
  });
});

describe("sqlite store: a migration's analysis off the event loop", () => {
  /** Statements of a migration's analysis prepared on the store's own connection while `work` ran. */
  async function analysisOnConnection(store: SqliteMessageStore, work: () => Promise<unknown>) {
    const db = (store as unknown as { db: { prepare: (sql: string) => unknown } }).db;
    const prepare = db.prepare.bind(db);
    let prepared = 0;
    db.prepare = (sql: string) => {
      if (sql.includes('INDEXED BY messages_migration')) prepared += 1;
      return prepare(sql);
    };
    try {
      await work();
    } finally {
      db.prepare = prepare;
    }
    return prepared;
  }
  const analysis = (store: SqliteMessageStore) =>
    store.sideSample({
      migrationId: 'a-to-b',
      providers: ['b'],
      since: 0,
      until: 10_000,
      settledBefore: 10_000,
      slowAfterMs: 240_000,
      now: 10_000,
    });

  it('reads in a worker for the gateway file store, and on the connection for a store in memory', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'gateway.sqlite');
    const file = new SqliteMessageStore({ path, checkpoints: 'background' });
    const memory = new SqliteMessageStore({ path: ':memory:' });
    for (const store of [file, memory]) {
      await store.accept(queuedSms('sent-b', { createdAt: 1000 }), undefined, { instanceId: 'a' });
      await store.finishDispatch(
        'sent-b',
        {
          status: 'sent',
          providerId: 'b',
          providerMessageId: 'B1',
          migration: { id: 'a-to-b', side: 'to' },
        },
        1000,
      );
    }
    // No thread until the first read: a gateway nobody asks for an analysis keeps its memory.
    const reader = (file as unknown as { reader: { worker?: unknown; online: Promise<void> } }).reader;
    expect(reader.worker).toBeUndefined();
    // The worker has started (a worker that cannot start would leave the reads on the connection).
    await reader.online;
    const fromFile = await analysis(file);
    expect(fromFile.settled).toBe(1);
    expect(fromFile).toEqual(await analysis(memory));
    // The file store's analysis never touches the connection the event loop writes on.
    expect(await analysisOnConnection(file, () => analysis(file))).toBe(0);
    expect(await analysisOnConnection(memory, () => analysis(memory))).toBeGreaterThan(0);
    await file.close();
    await memory.close();
  });
});

describe('sqlite store: one gateway process per file', () => {
  it("hands over an earlier process's in-flight messages at once, whatever its lease said", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'gateway.sqlite');
    const before = new SqliteMessageStore({ path });
    await before.renewLease('died', 60_000, 1000);
    await before.accept(queuedSms('left-in-flight'), undefined, { instanceId: 'died' });
    await before.close();
    const after = new SqliteMessageStore({ path });
    // The new process could not even register its own lease yet (a full disk): no matter.
    const taken = await after.takeOverInFlight('restarted', 2000, 10);
    expect(taken.map((message) => message.id)).toEqual(['left-in-flight']);
    await after.close();
  });
});
