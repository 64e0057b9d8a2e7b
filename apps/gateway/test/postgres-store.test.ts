import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { InsufficientCreditError } from '../src/store/campaign-store.js';
import { migratePostgres } from '../src/store/postgres/postgres-connection.js';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/postgres-migrations.js';
import type { PostgresMessageStore } from '../src/store/postgres/postgres-store.js';
import { StoreUnavailableError } from '../src/store/store-error.js';
import { describeCampaignStore, ledgerSum } from './campaign-contract.js';
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
  describeCampaignStore('postgres', () => openTestStore());
});

/** A running campaign of `count` recipients charged to `acme`, reserving `reserve`. */
async function startedCampaign(store: PostgresMessageStore, id: string, count: number, reserve: number) {
  await store.campaigns.createCampaign({
    id,
    apiKeyId: 'client',
    account: 'acme',
    state: 'uploading',
    definition: { template: { channel: 'sms', text: 'hi' } },
    reservedMicros: 0,
    materializedMicros: 0,
    createdAt: 1000,
    updatedAt: 1000,
  });
  await store.campaigns.addRecipients(
    id,
    Array.from({ length: count }, (_, index) => ({
      sequence: index + 1,
      recipient: `+2609710${String(index).padStart(5, '0')}`,
      variables: {},
    })),
  );
  await store.campaigns.completeUpload(
    id,
    {
      lines: count,
      recipients: count,
      invalid: 0,
      duplicates: 0,
      segments: count,
      estimatedMicros: reserve,
      currency: 'USD',
      invalidLines: [],
    },
    1001,
  );
  await store.campaigns.start(id, { state: 'running', bulk: false, reserveMicros: reserve }, 1100);
}

const chargedMessage = (campaignId: string, index: number, heldMicros: number) => ({
  sequence: index + 1,
  message: queuedSms(`${campaignId}-${index}`, {
    campaignId,
    charge: { account: 'acme', heldMicros },
    createdAt: 1200 + index,
  }),
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

  it('reserves credit on one account from several instances at once, never more than its balance', async () => {
    const stores = (await instances(3)) as PostgresMessageStore[];
    await stores[0]!.ledger.topUp('shared', 500_000, 'test', 1000);
    const settled = await Promise.allSettled(
      Array.from({ length: 60 }, (_, index) =>
        stores[index % 3]!.accept(
          queuedSms(`credit-${index}`, {
            charge: { account: 'shared', heldMicros: 12_500 },
            createdAt: 2000,
          }),
        ),
      ),
    );
    const refused = settled.filter(
      (outcome) => outcome.status === 'rejected' && outcome.reason instanceof InsufficientCreditError,
    );
    expect({
      accepted: settled.filter((outcome) => outcome.status === 'fulfilled').length,
      refused: refused.length,
    }).toEqual({
      accepted: 40,
      refused: 20,
    });
    expect(await stores[1]!.ledger.balance('shared')).toEqual({
      account: 'shared',
      balanceMicros: 0,
      heldMicros: 500_000,
      debitedMicros: 0,
    });
    expect(await ledgerSum(stores[2]!, 'shared')).toBe(0);
    expect((await stores[0]!.countByDispatchState()).queued).toBe(40);
  });

  it('settles every message of a campaign cancelled on one instance while another claims and sends them', async () => {
    const [canceller, sender] = (await instances(2)) as PostgresMessageStore[];
    const count = 40;
    await canceller!.ledger.topUp('acme', 1_000_000, 'test', 1000);
    await startedCampaign(canceller!, 'race', count, count * 10_000);
    await canceller!.campaigns.materialize(
      'race',
      Array.from({ length: count }, (_, index) => chargedMessage('race', index, 10_000)),
      undefined,
    );
    await sender!.renewLease('sender', 100_000, 1300);
    const send = async () => {
      for (;;) {
        const claimed = await sender!.claimNext('sender', 3, 1400);
        if (claimed.length === 0) return;
        await Promise.all(
          claimed.map((message) =>
            sender!.finishDispatch(
              message.id,
              { status: 'sent', providerId: 'p', providerMessageId: `x-${message.id}`, costMicros: 7000 },
              1500,
            ),
          ),
        );
      }
    };
    const [cancelled] = await Promise.all([
      new Promise((resolve) => setTimeout(resolve, 5)).then(() => canceller!.campaigns.cancel('race', 1450)),
      send(),
    ]);
    expect(cancelled).toBe(true);
    const progress = await canceller!.campaigns.progress('race');
    const sent = progress.byStatus.sent ?? 0;
    // Each message was either sent (and debited) or cancelled (and released): none is left holding.
    expect(progress).toEqual({
      pending: 0,
      cancelled: 0,
      messages: count,
      byStatus: { ...(sent > 0 ? { sent } : {}), ...(sent < count ? { failed: count - sent } : {}) },
      costMicros: sent * 7000,
    });
    expect(await canceller!.ledger.balance('acme')).toEqual({
      account: 'acme',
      balanceMicros: 1_000_000 - sent * 7000,
      heldMicros: 0,
      debitedMicros: sent * 7000,
    });
    expect(await ledgerSum(canceller!, 'acme')).toBe(1_000_000 - sent * 7000);
    expect(await canceller!.countByDispatchState()).toMatchObject({ queued: 0, 'in-flight': 0, done: count });
  });

  it("never lets a campaign's messages hold more than its reservation, whatever they were built with", async () => {
    const [store] = (await instances(1)) as PostgresMessageStore[];
    await store!.ledger.topUp('acme', 100_000, 'test', 1000);
    await startedCampaign(store!, 'capped', 3, 25_000);
    // Built from a stale read of what is left (as by an instance that just lost the leader lock).
    const stored = await store!.campaigns.materialize(
      'capped',
      [0, 1, 2].map((index) => chargedMessage('capped', index, 10_000)),
      undefined,
    );
    expect(stored.map((message) => message.charge?.heldMicros)).toEqual([10_000, 10_000, 5_000]);
    await store!.campaigns.cancel('capped', 2000);
    expect(await store!.ledger.balance('acme')).toEqual({
      account: 'acme',
      balanceMicros: 100_000,
      heldMicros: 0,
      debitedMicros: 0,
    });
    expect(await ledgerSum(store!, 'acme')).toBe(100_000);
  });

  it("moves a batch of receipts' campaign counters after locking its messages, so an outcome stored meanwhile never deadlocks with it", async () => {
    const [store] = (await instances(1)) as PostgresMessageStore[];
    await store!.ledger.topUp('acme', 100_000, 'test', 1000);
    await startedCampaign(store!, 'counted', 2, 20_000);
    await store!.campaigns.materialize(
      'counted',
      [0, 1].map((index) => chargedMessage('counted', index, 10_000)),
      'sender',
    );
    await store!.finishDispatch(
      'counted-0',
      { status: 'sent', providerId: 'p', providerMessageId: 'x0' },
      1300,
    );
    // Another transaction holds the second message, as its outcome's would, and then moves the
    // campaign's counters (it needs the `sent` one the first receipt moves).
    const outcome = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path="${schema}"` });
    await outcome.connect();
    try {
      await outcome.query('BEGIN');
      await outcome.query(`SELECT 1 FROM messages WHERE id = 'counted-1' FOR UPDATE`);
      const receipt = (messageId: string) => ({
        messageId,
        event: {
          providerId: 'p',
          providerMessageId: `x-${messageId}`,
          status: 'delivered' as const,
          providerStatus: 'DELIVRD',
          occurredAt: 1400,
          receivedAt: 1400,
          eventKey: `${messageId}-delivered`,
        },
      });
      const receipts = store!.recordReceipts({
        providerId: 'p',
        receipts: [receipt('counted-0'), receipt('counted-1')],
        sentSince: 0,
        replay: undefined,
        callback: () => undefined,
      });
      // The batch has stored the first receipt and waits for the second message.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await outcome.query(`UPDATE campaign_counts SET messages = messages WHERE campaign_id = 'counted'`);
      await outcome.query('COMMIT');
      expect((await receipts).outcome).toBe('accepted');
    } finally {
      await outcome.end();
    }
    expect((await store!.campaigns.progress('counted')).byStatus).toEqual({ delivered: 2 });
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
