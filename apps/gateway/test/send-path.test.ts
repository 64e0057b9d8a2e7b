import { join } from 'node:path';
import { createAcmeSimulator } from '@msg/example-plugin-acme/simulator';
import type { SimulatorServer } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReceiptBatch, StoredMessage } from '../src/store/message-store.js';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import {
  eventually,
  GATEWAY_DIRECTORY,
  startGateway,
  type TestGateway,
  temporaryDirectory,
} from './helpers.js';

const KEY = 'acme-key';
const SECRET = 'acme-webhook-secret-0123';

/** The SQLite store, noting every write that touches a message (by the message's id). */
class RecordingStore extends SqliteMessageStore {
  readonly writes: Array<{ write: string; id: string }> = [];
  readonly reads: string[] = [];

  override async accept(...args: Parameters<SqliteMessageStore['accept']>) {
    this.writes.push({ write: args[2] ? 'accept (claimed)' : 'accept', id: args[0].id });
    return super.accept(...args);
  }
  override async claimNext(...args: Parameters<SqliteMessageStore['claimNext']>) {
    const claimed = await super.claimNext(...args);
    for (const message of claimed) this.writes.push({ write: 'claim', id: message.id });
    return claimed;
  }
  override async recordAttempt(...args: Parameters<SqliteMessageStore['recordAttempt']>) {
    this.writes.push({ write: 'attempt', id: args[0].messageId });
    return super.recordAttempt(...args);
  }
  override async finishDispatch(...args: Parameters<SqliteMessageStore['finishDispatch']>) {
    this.writes.push({ write: 'outcome', id: args[0] });
    return super.finishDispatch(...args);
  }
  override async recordReceipts(batch: ReceiptBatch) {
    this.writes.push({ write: 'receipts', id: batch.receipts.map((item) => item.messageId).join(',') });
    return super.recordReceipts(batch);
  }
  override async get(id: string): Promise<StoredMessage | undefined> {
    this.reads.push(id);
    return super.get(id);
  }
}

describe('the send path', () => {
  let simulator: SimulatorServer;
  let gateway: TestGateway | undefined;

  beforeAll(async () => {
    simulator = createAcmeSimulator({ [KEY]: SECRET });
    await simulator.start();
  });
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    simulator.reset();
  });
  afterAll(() => simulator.stop());

  const acme = () => ({
    resolve: '@msg/example-plugin-acme',
    id: 'acme',
    options: { apiKey: KEY, baseUrl: simulator.url, webhookSecret: SECRET },
  });

  it('commits twice for a message a dispatcher has room for: accepted already claimed, then the outcome', async () => {
    const store = new RecordingStore({ path: join(temporaryDirectory(), 'gateway.sqlite') });
    gateway = await startGateway({ plugins: [acme()] }, { store });
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'x' },
    });
    expect(sent.status).toBe(200);
    const id = sent.body.id as string;
    expect(store.writes.filter((write) => write.id === id).map((write) => write.write)).toEqual([
      'accept (claimed)',
      'outcome',
    ]);
    expect(sent.body.attempts).toMatchObject([{ provider: 'acme', outcome: 'succeeded' }]);
  });

  it('stores a receipt in one write that finds its message, without reading it first', async () => {
    const store = new RecordingStore({ path: join(temporaryDirectory(), 'gateway.sqlite') });
    gateway = await startGateway({ plugins: [acme()] }, { store });
    simulator.callbackUrl = `${gateway.url}/webhooks/acme`;
    const sent = await gateway.call('POST', '/v1/messages', { body: { to: '+260971234567', text: 'x' } });
    const id = sent.body.id as string;
    await eventually(async () =>
      store.writes.some((write) => write.write === 'receipts' && write.id.includes(id)) ? true : undefined,
    );
    const reads = store.reads.length;
    const delivered = await eventually(async () => {
      const read = await gateway?.call('GET', `/v1/messages/${id}`);
      return read?.body.status === 'delivered' ? read.body : undefined;
    });
    expect(delivered.events.length).toBeGreaterThanOrEqual(1);
    // Only the GETs above read the message; the webhook did not.
    expect(store.reads.slice(0, reads).filter((read) => read === id)).toEqual([]);
  });

  it('writes the start of an attempt still in flight after a second, so recovery knows the provider', async () => {
    gateway = await startGateway({
      plugins: [
        {
          resolve: join(GATEWAY_DIRECTORY, 'test/fixtures/slow-plugin.ts'),
          id: 'slow',
          options: { delayMs: 30_000 },
        },
      ],
    });
    const sent = await gateway.call('POST', '/v1/messages', { body: { to: '+260971234567', text: 'x' } });
    const read = await eventually(async () => {
      const message = await gateway?.call('GET', `/v1/messages/${sent.body.id}`);
      return message && message.body.attempts.length > 0 ? message.body : undefined;
    }, 5000);
    expect(read).toMatchObject({
      dispatch: 'in-flight',
      attempts: [{ provider: 'slow', outcome: 'in-flight' }],
    });
  });

  it('claims a backlog from the store oldest first, never more at once than the free slots', async () => {
    const path = join(temporaryDirectory(), 'gateway.sqlite');
    const seed = new SqliteMessageStore({ path });
    const base = Date.now() - 60_000;
    const ids: string[] = [];
    for (let index = 0; index < 40; index++) {
      const id = `msg_backlog_${String(index).padStart(3, '0')}`;
      ids.push(id);
      await seed.accept({
        id,
        channel: 'sms',
        message: { id, channel: 'sms', to: '+260971234567', text: `backlog ${index}` },
        status: 'queued',
        dispatchState: 'queued',
        apiKeyId: 'client',
        // Accepted in reverse id order: the oldest is the last id.
        createdAt: base + (40 - index),
        updatedAt: base + (40 - index),
      });
    }
    await seed.close();
    const store = new RecordingStore({ path });
    const limits: number[] = [];
    const claimNext = store.claimNext.bind(store);
    store.claimNext = async (instanceId, limit, now) => {
      limits.push(limit);
      return claimNext(instanceId, limit, now);
    };
    gateway = await startGateway({ plugins: [acme()], dispatch: { concurrency: 4 } }, { store });
    await eventually(async () => (simulator.requests.length === 40 ? true : undefined), 10_000);
    const claimed = store.writes.filter((write) => write.write === 'claim').map((write) => write.id);
    expect(claimed).toEqual([...ids].reverse());
    expect(Math.max(...limits)).toBeLessThanOrEqual(4);
  });
});
