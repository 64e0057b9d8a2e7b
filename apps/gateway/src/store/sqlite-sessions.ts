import type Database from 'better-sqlite3';
import type { SessionRecord, SessionStore } from './session-store.js';

type Row = Record<string, unknown>;
type Write = <T>(what: string, run: () => T) => Promise<T>;

/** Dashboard sessions in the SQLite store (see `SessionStore`). */
export class SqliteSessions implements SessionStore {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly write: Write,
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO dashboard_sessions (hash, key_id, scopes, csrf_token, created_at, expires_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteEnded: db.prepare('DELETE FROM dashboard_sessions WHERE expires_at <= ? OR last_seen_at <= ?'),
      deleteBeyond: db.prepare(
        `DELETE FROM dashboard_sessions WHERE hash IN (
           SELECT hash FROM dashboard_sessions ORDER BY created_at DESC, hash LIMIT -1 OFFSET ?)`,
      ),
      get: db.prepare('SELECT * FROM dashboard_sessions WHERE hash = ?'),
      touch: db.prepare('UPDATE dashboard_sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE hash = ?'),
      delete: db.prepare('DELETE FROM dashboard_sessions WHERE hash = ?'),
    };
  }

  async createSession(session: SessionRecord, limits: { idleSince: number; max: number }): Promise<void> {
    await this.write('start a dashboard session', () => {
      this.statements.deleteEnded.run(session.createdAt, limits.idleSince);
      this.statements.insert.run(
        session.hash,
        session.keyId,
        JSON.stringify(session.scopes),
        session.csrfToken,
        session.createdAt,
        session.expiresAt,
        session.lastSeenAt,
      );
      this.statements.deleteBeyond.run(limits.max);
    });
  }

  async getSession(hash: string): Promise<SessionRecord | undefined> {
    const row = this.statements.get.get(hash) as Row | undefined;
    if (!row) return undefined;
    return {
      hash,
      keyId: row.key_id as string,
      scopes: JSON.parse(row.scopes as string) as string[],
      csrfToken: row.csrf_token as string,
      createdAt: row.created_at as number,
      expiresAt: row.expires_at as number,
      lastSeenAt: row.last_seen_at as number,
    };
  }

  async touchSession(hash: string, lastSeenAt: number): Promise<void> {
    await this.write('record use of a dashboard session', () => this.statements.touch.run(lastSeenAt, hash));
  }

  async deleteSession(hash: string): Promise<void> {
    await this.write('end a dashboard session', () => this.statements.delete.run(hash));
  }
}
