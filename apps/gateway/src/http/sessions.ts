import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionStore } from '../store/session-store.js';
import type { Scope } from './auth.js';

export interface Session {
  /** The API key the operator signed in with (its id, never the key). */
  keyId: string;
  scopes: ReadonlySet<Scope>;
  /** Sent back in `X-CSRF-Token` on every state-changing request the cookie authenticates. */
  csrfToken: string;
  createdAt: number;
  /** The session ends then at the latest, however active. */
  expiresAt: number;
  lastSeenAt: number;
}

export interface SessionsOptions {
  store: SessionStore;
  /** Longest life of a session. */
  ttlMs: number;
  /** A session unused for this long ends. */
  idleMs: number;
  now: () => number;
  /** Most sessions held at once; beyond it the oldest goes. */
  max?: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Dashboard sessions, in the store: every gateway instance sharing it knows a session started on
 * any of them, signing out on one ends it on all, and a restart signs no one out. Sessions are
 * keyed by a hash of the session id, so the ids that act as credentials are held only in the
 * operators' cookies. Use is recorded at most once a minute (a tenth of the idle timeout when
 * shorter), so browsing the dashboard costs reads, not writes.
 */
export class Sessions {
  private readonly max: number;
  private readonly touchEveryMs: number;

  constructor(private readonly options: SessionsOptions) {
    this.max = options.max ?? 10_000;
    this.touchEveryMs = Math.min(60_000, Math.floor(options.idleMs / 10));
  }

  /** Starts a session; returns its id (the cookie's value) and the session. */
  async create(keyId: string, scopes: ReadonlySet<Scope>): Promise<{ id: string; session: Session }> {
    const now = this.options.now();
    const id = randomBytes(32).toString('base64url');
    const session: Session = {
      keyId,
      scopes,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      expiresAt: now + this.options.ttlMs,
      lastSeenAt: now,
    };
    await this.options.store.createSession(
      { ...session, hash: digest(id), scopes: [...scopes] },
      { idleSince: now - this.options.idleMs, max: this.max },
    );
    return { id, session };
  }

  /** The live session of this id (its idle clock restarted), or undefined. */
  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id || id.length > 128) return undefined;
    const hash = digest(id);
    const stored = await this.options.store.getSession(hash);
    if (!stored) return undefined;
    const now = this.options.now();
    if (now >= stored.expiresAt || now - stored.lastSeenAt >= this.options.idleMs) {
      await this.options.store.deleteSession(hash);
      return undefined;
    }
    if (now - stored.lastSeenAt >= this.touchEveryMs) await this.options.store.touchSession(hash, now);
    return {
      keyId: stored.keyId,
      scopes: new Set(stored.scopes as Scope[]),
      csrfToken: stored.csrfToken,
      createdAt: stored.createdAt,
      expiresAt: stored.expiresAt,
      lastSeenAt: now,
    };
  }

  async delete(id: string | undefined): Promise<void> {
    if (id) await this.options.store.deleteSession(digest(id));
  }

  /** Seconds the cookie should live: until the session's absolute end. */
  maxAgeSeconds(session: Session): number {
    return Math.ceil((session.expiresAt - this.options.now()) / 1000);
  }
}

/** Whether the presented CSRF token is the session's, compared in constant time. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const given = createHash('sha256').update(presented).digest();
  const expected = createHash('sha256').update(session.csrfToken).digest();
  return timingSafeEqual(given, expected);
}
