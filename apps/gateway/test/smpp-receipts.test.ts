import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceiptBatch, ReceiptsResult } from '../src/store/message-store.js';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { eventually, startGateway, type TestGateway, temporaryDirectory } from './helpers.js';

/** The SQLite store, whose next receipt writes fail as on a full disk. */
class ReceiptsOnFullDisk extends SqliteMessageStore {
  failures = 0;
  refused = 0;

  override async recordReceipts(batch: ReceiptBatch): Promise<ReceiptsResult> {
    if (this.failures > 0) {
      this.failures -= 1;
      this.refused += 1;
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
    return super.recordReceipts(batch);
  }
}

describe('receipts pushed by a provider over its own connection (SMPP)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({
      sandbox: true,
      plugins: [{ resolve: '@msg/plugin-airtel', id: 'airtel', options: {} }],
    });
  });
  afterAll(() => gateway?.stop());

  it('stores the SMSC delivery receipt of a three-part message as one delivered event', async () => {
    const sent = await gateway.call('POST', '/v1/messages', {
      body: { channel: 'sms', to: '+260971234567', text: 'x'.repeat(400) },
    });
    expect(sent.status).toBe(202);
    const message = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    });
    expect(message.provider).toBe('airtel');
    expect(message.segments).toBe(3);
    const delivered = message.events.filter((event: { status: string }) => event.status === 'delivered');
    expect(delivered).toHaveLength(1);
  });

  it('keeps a receipt the SMSC pushed while the store could not take it, and stores it once it can', async () => {
    const store = new ReceiptsOnFullDisk({ path: join(temporaryDirectory(), 'gateway.sqlite') });
    store.failures = 2;
    const full = await startGateway(
      { sandbox: true, plugins: [{ resolve: '@msg/plugin-airtel', id: 'airtel', options: {} }] },
      { store },
    );
    try {
      const sent = await full.call('POST', '/v1/messages', {
        body: { channel: 'sms', to: '+260971234568', text: 'x' },
      });
      expect(sent.status).toBe(202);
      const message = await eventually(async () => {
        const read = await full.call('GET', `/v1/messages/${sent.body.id}`);
        return read.body.status === 'delivered' ? read.body : undefined;
      });
      expect(store.refused).toBe(2);
      expect(message.events.filter((event: { status: string }) => event.status === 'delivered')).toHaveLength(
        1,
      );
    } finally {
      await full.stop();
    }
  });
});
