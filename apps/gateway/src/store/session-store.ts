/**
 * Dashboard sessions, kept in the store so that every gateway instance sharing it knows them
 * (an operator's requests may reach any instance behind a load balancer) and a restart signs no
 * one out. A session is keyed by a hash of its id: the ids, which act as credentials, live only
 * in the operators' cookies.
 */
export interface SessionRecord {
  /** SHA-256 of the session id, base64url. */
  hash: string;
  /** The API key the operator signed in with (its id, never the key). */
  keyId: string;
  scopes: readonly string[];
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

export interface SessionStore {
  /**
   * Stores a new session; in the same write, drops sessions that ended (past `expiresAt`, or unused
   * since `idleSince`) and, beyond `max`, the oldest.
   */
  createSession(session: SessionRecord, limits: { idleSince: number; max: number }): Promise<void>;
  getSession(hash: string): Promise<SessionRecord | undefined>;
  /** Records use of a session (its idle clock restarts). */
  touchSession(hash: string, lastSeenAt: number): Promise<void>;
  deleteSession(hash: string): Promise<void>;
}
