import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { migratePostgres } from '../src/store/postgres/postgres-connection.js';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/postgres-migrations.js';
import type { PostgresMessageStore } from '../src/store/postgres/postgres-store.js';
import { StoreUnavailableError } from '../src/store/store-error.js';
import { startGateway } from './helpers.js';
import { describeOperationsStore } from './operations-contract.js';
import {
  describePostgres,
  dropSchema,
  openTestStore,
  POSTGRES_URL,
  tcpProxy,
  testSchema,
} from './postgres.js';
import { describeMessageStore, queuedSms } from './store-contract.js';

describePostgres('postgres store contract', () => {
  describeMessageStore('postgres', () => openTestStore());
  describeOperationsStore('postgres', () => openTestStore());
});

describePostgres('postgres store shared by several instances', () => {
  const opened: PostgresMessageStore[] = [];
  let schema = '';
  /** Stores on one schema, as gateway instances on one database; the schema goes with the last. */
  const instances = async (count: number) => {
    schema = testSchema();
    const stores = await Promise.all(
      Array.from({ length: count }, () => openTestStore({ schema, drop: false, poolSize: 3 })),
    );
    opened.push(...stores);
    return stores;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    if (schema) await dropSchema(schema);
  });

  it('applies each schema migration once when instances start together', async () => {
    await instances(4);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    const { rows } = await client.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    await client.end();
    expect(rows.map((row) => row.version)).toEqual(POSTGRES_MIGRATIONS.map((_sql, index) => index + 1));
  });

  it('leaves the schema as it was when a migration fails', async () => {
    const [store] = await instances(1);
    const broken = [
      ...POSTGRES_MIGRATIONS,
      'CREATE TABLE half_done (id INTEGER); ALTER TABLE messages ADD COLUMN half INTEGER; ALTER TABLE no_such_table ADD COLUMN x INTEGER;',
    ];
    const failed = migratePostgres(store!.pool, schema, broken);
    await expect(failed).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(failed).rejects.toThrow(
      new RegExp(`migration ${POSTGRES_MIGRATIONS.length + 1} .*no_such_table`),
    );
    const tables = await store!.pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'half_done'`,
      [schema],
    );
    const columns = await store!.pool.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'messages' AND column_name = 'half'`,
      [schema],
    );
    const versions = await store!.pool.query('SELECT MAX(version) AS latest FROM schema_migrations');
    expect({ tables: tables.rowCount, columns: columns.rowCount, latest: versions.rows[0].latest }).toEqual({
      tables: 0,
      columns: 0,
      latest: POSTGRES_MIGRATIONS.length,
    });
    // The store still works on the schema as it was.
    await store!.accept(queuedSms('after-failure'));
    expect((await store!.get('after-failure'))?.dispatchState).toBe('queued');
  });

  it('hands each queued message to one instance when several claim at once', async () => {
    const stores = await instances(4);
    const total = 400;
    const writer = stores[0] as PostgresMessageStore;
    for (let start = 0; start < total; start += 100) {
      await writer.acceptAll(
        Array.from({ length: 100 }, (_item, index) =>
          queuedSms(`claim-${start + index}`, { createdAt: start + index, updatedAt: start + index }),
        ),
      );
    }
    const claims = await Promise.all(
      stores.map(async (store, index) => {
        const instance = `instance-${index}`;
        await store.renewLease(instance, 100_000, 1);
        const mine: string[] = [];
        for (;;) {
          const batch = await store.claimNext(instance, 7, 2);
          if (batch.length === 0) break;
          mine.push(...batch.map((message) => message.id));
        }
        return mine;
      }),
    );
    const all = claims.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    // Every instance took part (the claims interleaved rather than ran one after another).
    expect(claims.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
    expect(await writer.countByDispatchState()).toMatchObject({ queued: 0, 'in-flight': total });
  });

  it("recovers a dead instance's in-flight messages on another only after its lease, once", async () => {
    const [dead, heir, third] = (await instances(3)) as PostgresMessageStore[];
    await dead!.renewLease('dead', 5_000, 1_000);
    await dead!.accept(queuedSms('left-in-flight'), undefined, { instanceId: 'dead' });
    await heir!.renewLease('heir', 60_000, 1_000);
    await third!.renewLease('third', 60_000, 1_000);
    expect(await heir!.takeOverInFlight('heir', 4_000, 10)).toEqual([]);
    const [taken, again] = await Promise.all([
      heir!.takeOverInFlight('heir', 6_000, 10),
      third!.takeOverInFlight('third', 6_000, 10),
    ]);
    expect([...taken, ...again].map((message) => message.id)).toEqual(['left-in-flight']);
  });

  it("frees a closed instance's in-flight messages at once", async () => {
    const [leaving, staying] = (await instances(2)) as PostgresMessageStore[];
    await leaving!.renewLease('leaving', 60_000, 1_000);
    await leaving!.accept(queuedSms('cut-short'), undefined, { instanceId: 'leaving' });
    await leaving!.close();
    await staying!.renewLease('staying', 60_000, 1_000);
    const taken = await staying!.takeOverInFlight('staying', 2_000, 10);
    expect(taken.map((message) => message.id)).toEqual(['cut-short']);
  });

  it("sets synchronous_commit on the pool's connections as configured", async () => {
    schema = testSchema();
    const store = await openTestStore({ schema, drop: false, synchronousCommit: 'off' });
    opened.push(store);
    const { rows } = await store.pool.query('SHOW synchronous_commit');
    expect(rows[0].synchronous_commit).toBe('off');
  });

  it('wakes the dispatchers of other instances through NOTIFY', async () => {
    const [sender, listener] = (await instances(2)) as PostgresMessageStore[];
    const woken = new Promise<void>((resolve) => listener!.onQueued(resolve));
    await sender!.accept(queuedSms('wake-up'));
    await expect(woken).resolves.toBeUndefined();
  });

  it('hands a due callback or alert to one instance until its lease ends', async () => {
    const [first, second] = (await instances(2)) as PostgresMessageStore[];
    await first!.accept(queuedSms('with-callback'));
    await first!.enqueueCallback('with-callback', 'http://client/cb', '{"type":"message.status"}', 1_000);
    await first!.writeOperation({ alerts: [{ url: 'http://ops/alert', body: '{}' }] }, 1_000);
    expect(await first!.dueCallbacks(1_000, 10)).toHaveLength(1);
    expect(await first!.dueAlerts(1_000, 10)).toHaveLength(1);
    expect(await second!.dueCallbacks(2_000, 10)).toEqual([]);
    expect(await second!.dueAlerts(2_000, 10)).toEqual([]);
    // The first instance died mid-send: after the lease the other sends it.
    expect(await second!.dueCallbacks(62_000, 10)).toHaveLength(1);
    expect(await second!.dueAlerts(62_000, 10)).toHaveLength(1);
  });

  it('answers StoreUnavailableError and reports itself unwritable while the server cannot be reached', async () => {
    const proxy = await tcpProxy(new URL(POSTGRES_URL as string));
    schema = testSchema();
    const url = new URL(POSTGRES_URL as string);
    url.host = `127.0.0.1:${proxy.port}`;
    const store = await openTestStore({ schema, drop: false, url: url.toString() });
    opened.push(store);
    await store.probeWrite(1);
    await proxy.down();
    await expect(store.probeWrite(2)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.writeHealth()).toMatchObject({ writable: false, reason: expect.stringMatching(/probe/) });
    await proxy.up();
    await store.probeWrite(3);
    expect(store.writeHealth()).toEqual({ writable: true });
    await store.close();
    await proxy.down();
  });

  it('waits at start for a database that cannot be reached, and serves once it can', async () => {
    const proxy = await tcpProxy(new URL(POSTGRES_URL as string));
    await proxy.down();
    schema = testSchema();
    const url = new URL(POSTGRES_URL as string);
    url.host = `127.0.0.1:${proxy.port}`;
    const starting = startGateway({
      store: { driver: 'postgres', url: url.toString(), schema, poolSize: 2 },
      plugins: [{ resolve: '@msg/plugin-console', id: 'console', options: { silent: true } }],
    });
    const early = await Promise.race([
      starting.then(
        () => 'started',
        (error: Error) => `failed: ${error.message}`,
      ),
      new Promise((resolve) => setTimeout(() => resolve('waiting'), 1500)),
    ]);
    expect(early).toBe('waiting');
    await proxy.up();
    const gateway = await starting;
    try {
      const sent = await gateway.call('POST', '/v1/messages?wait=true', {
        body: { to: '+260971234567', text: 'x' },
      });
      expect(sent.body.status).toBe('delivered');
    } finally {
      await gateway.gateway.stop();
      await proxy.down();
    }
  }, 60_000);
});
