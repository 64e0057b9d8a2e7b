import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteMessageStore, StoreUnavailableError } from '../src/store/sqlite-store.js';
import { describeMessageStore } from './store-contract.js';

describeMessageStore('sqlite (memory)', async () => new SqliteMessageStore({ path: ':memory:' }));
describeMessageStore(
  'sqlite (file)',
  async () => new SqliteMessageStore({ path: join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'g.sqlite') }),
);

describe('sqlite store on disk', () => {
  it('keeps messages across a reopen and migrates once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'msg-store-')), 'gateway.sqlite');
    const first = new SqliteMessageStore({ path });
    await first.accept({
      id: 'm1',
      channel: 'sms',
      message: { id: 'm1', channel: 'sms', to: '+260971234567', text: 'x' },
      status: 'queued',
      dispatchState: 'queued',
      apiKeyId: 'k',
      createdAt: 1,
      updatedAt: 1,
    });
    await first.close();
    const second = new SqliteMessageStore({ path });
    expect(await second.queuedIds(10)).toEqual(['m1']);
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
    const attempt = readonly.accept(
      {
        id: 'm2',
        channel: 'sms',
        message: { id: 'm2', channel: 'sms', to: '+260971234567', text: 'x' },
        status: 'queued',
        dispatchState: 'queued',
        apiKeyId: 'k',
        createdAt: 1,
        updatedAt: 1,
      },
      { key: 'idem', requestHash: 'h', expiresAt: 10 },
    );
    await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await readonly.get('m2')).toBeUndefined();
    await readonly.close();
  });
});
