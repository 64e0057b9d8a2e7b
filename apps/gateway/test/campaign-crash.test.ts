// biome-ignore-all lint/suspicious/noExplicitAny: response bodies and rows are asserted on.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { GATEWAY_DIRECTORY, startChild, temporaryDirectory } from './helpers.js';

const KEY = 'campaign-crash-key-0123456789';
const ADMIN = 'campaign-crash-admin-0123456789';
const RECIPIENTS = 3000;

async function call(pool: Pool, method: string, path: string, key: string, body?: unknown) {
  const response = await pool.request({
    method: method as 'GET',
    path,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.statusCode, body: (await response.body.json()) as any };
}

describe('campaign credits across kill -9 (separate process)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('debits exactly what the provider accepted, to the micro-unit, and holds nothing once done', async () => {
    const directory = temporaryDirectory();
    const storePath = join(directory, 'gateway.sqlite');
    const acceptedFile = join(directory, 'accepted.txt');
    const config = join(directory, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        apiKeys: [
          {
            id: 'shop',
            key: KEY,
            scopes: ['send', 'read'],
            rateLimitPerMinute: 10_000_000,
            creditAccount: 'acme',
          },
          { id: 'ops', key: ADMIN, scopes: ['admin'] },
        ],
        store: { driver: 'sqlite', path: storePath },
        dispatch: { concurrency: 8, shutdownTimeoutMs: 5000 },
        campaigns: { batchSize: 50, window: 600 },
        credits: { enabled: true },
        costs: { currency: 'USD', prices: [{ provider: 'sink', amount: '0.0125' }] },
        plugins: [
          {
            resolve: join(GATEWAY_DIRECTORY, 'test/fixtures/bulk-ledger-plugin.ts'),
            id: 'sink',
            options: { delayMs: 60, acceptedFile },
          },
        ],
        log: { level: 'info' },
      }),
    );

    const first = await startChild(config);
    children.push(first.process);
    const pool = new Pool(first.url, { connections: 8 });
    expect((await call(pool, 'POST', '/v1/credits/acme/top-ups', ADMIN, { amount: '100.00' })).status).toBe(
      201,
    );
    const recipients = Array.from(
      { length: RECIPIENTS },
      (_, index) => `+26097${String(1_000_000 + index).slice(-7)}`,
    );
    const created = await call(pool, 'POST', '/v1/campaigns', KEY, {
      template: { text: 'Sale' },
      recipients,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call(pool, 'POST', `/v1/campaigns/${id}/start`, KEY)).status).toBe(200);
    // Single messages on the same account at the same time: holds and settlements interleave.
    let stop = false;
    const singles = Array.from({ length: 4 }, async (_, worker) => {
      for (let sequence = 0; !stop; sequence++) {
        await call(pool, 'POST', '/v1/messages', KEY, {
          to: `+26096${String(worker)}${String(sequence).padStart(6, '0')}`,
          text: 'single',
        }).catch(() => undefined);
      }
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const view = await call(pool, 'GET', `/v1/campaigns/${id}`, KEY);
      // Finished so far (a sink without receipts ends its messages `unknown` soon after `sent`).
      const progress = view.body.progress;
      const finished = progress ? progress.messages - progress.unfinished : 0;
      if (finished >= 600 && progress.unfinished > 0) break;
      if (Date.now() > deadline)
        throw new Error(`the campaign did not get going: ${JSON.stringify(view.body.progress)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.process.kill('SIGKILL');
    stop = true;
    await Promise.allSettled(singles);
    await first.exited;
    await pool.destroy();

    const second = await startChild(config);
    children.push(second.process);
    const pool2 = new Pool(second.url, { connections: 1 });
    const finish = Date.now() + 60_000;
    for (;;) {
      const view = await call(pool2, 'GET', `/v1/campaigns/${id}`, KEY);
      const ready = await pool2.request({ method: 'GET', path: '/readyz' });
      const queue = ((await ready.body.json()) as any).queue;
      if (view.body.state === 'completed' && queue.queued === 0 && queue.inFlight === 0) break;
      if (Date.now() > finish) throw new Error(`the campaign did not finish: ${JSON.stringify(view.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await pool2.destroy();
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const accepted = new Set(
      existsSync(acceptedFile) ? readFileSync(acceptedFile, 'utf8').split('\n').filter(Boolean) : [],
    );
    const db = new Database(storePath, { readonly: true });
    try {
      const ledger = db
        .prepare(`SELECT SUM(amount) AS sum FROM credit_ledger WHERE account = 'acme'`)
        .get() as any;
      const account = db.prepare(`SELECT * FROM credit_accounts WHERE account = 'acme'`).get() as any;
      const debits = db
        .prepare(`SELECT -SUM(amount) AS sum, COUNT(*) AS count FROM credit_ledger WHERE kind = 'debit'`)
        .get() as any;
      const debited = db
        .prepare(`SELECT id, charged FROM messages WHERE provider_message_id IS NOT NULL`)
        .all() as Array<{ id: string; charged: number }>;
      // The balance is the ledger's sum, nothing is held once everything settled.
      expect(account.balance).toBe(ledger.sum);
      expect(account.held).toBe(0);
      // Each debit is the provider's reported cost of a message it accepted: 0.0100 each, exactly.
      expect(debited.every((message) => message.charged === 10_000)).toBe(true);
      expect(debits.count).toBe(debited.length);
      expect(debits.sum).toBe(debited.length * 10_000);
      expect(account.balance).toBe(100_000_000 - debited.length * 10_000);
      // Every message the gateway debited, the provider accepted.
      const notAccepted = debited.filter((message) => !accepted.has(message.id));
      expect(notAccepted).toEqual([]);
      // What the provider accepted but the gateway did not debit was in flight at the kill: its
      // outcome is unknown to the gateway (ambiguous), recorded as such, never silently dropped.
      const unknown = [...accepted].filter(
        (messageId) => !debited.some((message) => message.id === messageId),
      );
      const restarted = new Set(
        (
          db
            .prepare(`SELECT DISTINCT message_id FROM attempts WHERE error_code = 'MSG_RESTART_IN_FLIGHT'`)
            .all() as Array<{
            message_id: string;
          }>
        ).map((row) => row.message_id),
      );
      expect(unknown.filter((messageId) => !restarted.has(messageId))).toEqual([]);
      // One message per recipient, never two.
      const perRecipient = db
        .prepare(
          `SELECT COUNT(*) AS count, COUNT(DISTINCT message_id) AS messages FROM campaign_recipients WHERE campaign_id = ?`,
        )
        .get(id) as any;
      expect(perRecipient).toEqual({ count: RECIPIENTS, messages: RECIPIENTS });
      expect(second.stderr()).toMatch(/recovered messages from the store/);
    } finally {
      db.close();
    }
  }, 120_000);
});
