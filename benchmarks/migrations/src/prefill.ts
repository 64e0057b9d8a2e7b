import { SqliteMessageStore } from '@msg/gateway';
import Database from 'better-sqlite3';

/** A store holding `count` finished messages of the migration, spread over the last week, with their attempts. */
export function prefill(path: string, count: number): void {
  new SqliteMessageStore({ path }).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const message = db.prepare(
    `INSERT INTO messages (id, channel, payload, status, dispatch_state, api_key_id, created_at, updated_at, provider_id,
       provider_message_id, sent_at, route_id, migration_id, migration_side, destination, delivered_at)
     VALUES (?, 'sms', ?, 'delivered', 'done', 'bench', ?, ?, ?, ?, ?, 'sms', 'old-to-new', ?, 'airtel', ?)`,
  );
  const attempt = db.prepare(
    `INSERT INTO attempts (message_id, sequence, provider_id, started_at, finished_at, latency_ms, outcome, provider_message_id,
       possible_duplicate, reason, migration_id) VALUES (?, 1, ?, ?, ?, 3, 'succeeded', ?, 0, 'first choice', 'old-to-new')`,
  );
  const week = 7 * 86_400_000;
  const start = Date.now() - week;
  const insert = db.transaction((from: number, to: number) => {
    for (let index = from; index < to; index++) {
      const id = `msg_prefill${String(index).padStart(10, '0')}`;
      const at = start + Math.floor((index / count) * week);
      const side = index % 2 === 0 ? 'from' : 'to';
      const provider = side === 'from' ? 'old' : 'new';
      const payload = JSON.stringify({
        id,
        channel: 'sms',
        to: `+26097${String(index % 10_000_000).padStart(7, '0')}`,
        text: 'x',
      });
      message.run(id, payload, at, at, provider, `pm-${index}`, at, side, at + 1000 + (index % 60_000));
      attempt.run(id, provider, at, at + 3, `pm-${index}`);
    }
  });
  for (let from = 0; from < count; from += 50_000) insert(from, Math.min(count, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
