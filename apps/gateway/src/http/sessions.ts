import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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
 * Dashboard sessions, in this process's memory: a restart signs every operator out, and several
 * gateway instances behind one address need sticky sessions. The map is keyed by a hash of the
 * session id, so the ids that act as credentials are held only in the operators' cookies.
 */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private readonly max: number;

  constructor(private readonly options: SessionsOptions) {
    this.max = options.max ?? 10_000;
  }

  /** Starts a session; returns its id (the cookie's value) and the session. */
  create(keyId: string, scopes: ReadonlySet<Scope>): { id: string; session: Session } {
    this.sweep();
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
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session of this id (its idle clock restarted), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id || id.length > 128) return undefined;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    const now = this.options.now();
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.options.idleMs) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  /** Seconds the cookie should live: until the session's absolute end. */
  maxAgeSeconds(session: Session): number {
    return Math.ceil((session.expiresAt - this.options.now()) / 1000);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.options.now();
    for (const [key, session] of this.sessions) {
      if (now >= session.expiresAt || now - session.lastSeenAt >= this.options.idleMs) {
        this.sessions.delete(key);
      }
    }
  }
}

/** Whether the presented CSRF token is the session's, compared in constant time. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const given = createHash('sha256').update(presented).digest();
  const expected = createHash('sha256').update(session.csrfToken).digest();
  return timingSafeEqual(given, expected);
}
