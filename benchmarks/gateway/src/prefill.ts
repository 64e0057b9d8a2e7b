// A store already holding `count` finished messages, as the gateway writes them: time-ordered ids
// over the last week, each with its attempt, a delivery receipt and its recipient index row. Built once per size and kept
// in the system's temporary folder; each run works on a copy.
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMessageStore } from '@msg/gateway';
import Database from 'better-sqlite3';

/** `msg_` and a UUIDv7, as the gateway makes them (time first, then random bits). */
function messageId(at: number): string {
  const random = randomBytes(10).toString('hex');
  const variant = ((Number.parseInt(random[3] as string, 16) & 0x3) | 0x8).toString(16);
  return `msg_${at.toString(16).padStart(12, '0')}7${random.slice(0, 3)}${variant}${random.slice(4, 19)}`;
}

function build(path: string, count: number): void {
  // The gateway's own schema, migrations applied.
  void new SqliteMessageStore({ path }).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const message = db.prepare(
    `INSERT INTO messages (id, channel, payload, status, dispatch_state, api_key_id, provider_id, provider_message_id,
       routing_reason, segments, created_at, updated_at, sent_at, route_id, delivered_at)
     VALUES (?, 'sms', ?, 'delivered', 'done', 'bench', 'console', ?, 'route "sms" (channel sms) -> console', 1, ?, ?, ?, 'sms', ?)`,
  );
  const attempt = db.prepare(
    `INSERT INTO attempts (message_id, sequence, provider_id, started_at, finished_at, latency_ms, outcome,
       provider_message_id, possible_duplicate, reason) VALUES (?, 1, 'console', ?, ?, 1, 'succeeded', ?, 0, 'first choice')`,
  );
  const recipient = db.prepare(
    'INSERT INTO message_recipients (recipient, created_at, message_id) VALUES (?, ?, ?)',
  );
  const event = db.prepare(
    `INSERT INTO events (message_id, provider_id, provider_message_id, status, provider_status, occurred_at,
       received_at, event_key) VALUES (?, 'console', ?, 'delivered', 'delivered', ?, ?, ?)`,
  );
  const week = 7 * 86_400_000;
  const start = Date.now() - week;
  const insert = db.transaction((from: number, to: number) => {
    for (let index = from; index < to; index++) {
      const at = start + Math.floor((index / count) * week);
      const id = messageId(at);
      const providerMessageId = `console-${randomBytes(16).toString('hex')}`;
      const to = `+26097${String(index % 10_000_000).padStart(7, '0')}`;
      const payload = JSON.stringify({ id, channel: 'sms', to, text: 'benchmark message' });
      message.run(id, payload, providerMessageId, at, at + 2000, at + 1, at + 2000);
      recipient.run(to, at, id);
      attempt.run(id, at, at + 1, providerMessageId);
      event.run(
        id,
        providerMessageId,
        at + 2000,
        at + 2000,
        `console:sha256:${randomBytes(32).toString('base64url')}`,
      );
    }
  });
  for (let from = 0; from < count; from += 50_000) insert(from, Math.min(count, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** A fingerprint of the gateway's schema: a store built for another schema is never reused. */
function schemaVersion(): string {
  const path = join(tmpdir(), `msg-bench-schema-${process.pid}.sqlite`);
  void new SqliteMessageStore({ path }).close();
  const db = new Database(path, { readonly: true });
  const schema = (
    db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all() as Array<{ sql: string | null }>
  )
    .map((row) => row.sql ?? '')
    .join('\n');
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  return createHash('sha256').update(schema).digest('hex').slice(0, 12);
}

/** A fresh copy, at `target`, of a store holding `count` finished messages. */
export function prefilledStore(count: number, target: string): void {
  const cached = join(tmpdir(), `msg-bench-gateway-${count}-${schemaVersion()}.sqlite`);
  if (!existsSync(cached)) {
    const building = `${cached}.${process.pid}.building`;
    console.log(`building a store of ${count} messages (kept as ${cached})...`);
    build(building, count);
    renameSync(building, cached);
    for (const suffix of ['-wal', '-shm']) rmSync(`${building}${suffix}`, { force: true });
  }
  copyFileSync(cached, target);
}
