import type { MigrationMode } from '../migration/mode.js';

/**
 * The router's mutable state behind one small interface, so that a single process keeps it in
 * memory and a fleet shares it through Redis. Reads are synchronous because the router reads on
 * every message: a shared implementation serves them from a local copy that it keeps current by
 * change notification (Redis pub/sub), and tells the router of changes through `subscribe`.
 * Writes may be asynchronous.
 */

/** Operator-controlled settings of one migration; absent fields fall back to the config. */
export interface MigrationState {
  mode?: MigrationMode | undefined;
  percentage?: number | undefined;
  /** While `rolled-back`: the mode and percentage a resume restores. */
  resume?: { mode: MigrationMode; percentage: number } | undefined;
}

/** A circuit breaker's state as cockatiel's `toJSON` gives it, with who wrote it and when. */
export interface BreakerSnapshot {
  state: unknown;
  /** The router instance that wrote it: an instance ignores its own writes when notified. */
  writer: string;
  updatedAt: number;
}

export interface TokenBucketLimit {
  perSecond: number;
  burst: number;
}

export type RouterStateChange =
  | { type: 'migration'; id: string; state: MigrationState | undefined }
  | { type: 'halt'; provider: string; halted: boolean }
  | { type: 'breaker'; provider: string; snapshot: BreakerSnapshot };

export interface RouterStateStore {
  getMigration(id: string): MigrationState | undefined;
  setMigration(id: string, state: MigrationState): void | Promise<void>;
  isHalted(provider: string): boolean;
  setHalted(provider: string, halted: boolean): void | Promise<void>;
  getBreaker(provider: string): BreakerSnapshot | undefined;
  setBreaker(provider: string, snapshot: BreakerSnapshot): void | Promise<void>;
  /** Takes one token from the bucket `key`; false when it is empty. */
  takeToken(key: string, limit: TokenBucketLimit, now: number): boolean | Promise<boolean>;
  /** Calls `listener` after every change, whoever made it. Returns the unsubscribe function. */
  subscribe(listener: (change: RouterStateChange) => void): () => void;
}

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/** The embedded store: one process, nothing to install. */
export class MemoryRouterStateStore implements RouterStateStore {
  private readonly migrations = new Map<string, MigrationState>();
  private readonly halted = new Set<string>();
  private readonly breakers = new Map<string, BreakerSnapshot>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly listeners = new Set<(change: RouterStateChange) => void>();

  getMigration(id: string): MigrationState | undefined {
    return this.migrations.get(id);
  }

  setMigration(id: string, state: MigrationState): void {
    const merged = { ...this.migrations.get(id), ...state };
    this.migrations.set(id, merged);
    this.notify({ type: 'migration', id, state: merged });
  }

  isHalted(provider: string): boolean {
    return this.halted.size > 0 && this.halted.has(provider);
  }

  setHalted(provider: string, halted: boolean): void {
    if (halted) this.halted.add(provider);
    else this.halted.delete(provider);
    this.notify({ type: 'halt', provider, halted });
  }

  getBreaker(provider: string): BreakerSnapshot | undefined {
    return this.breakers.get(provider);
  }

  setBreaker(provider: string, snapshot: BreakerSnapshot): void {
    this.breakers.set(provider, snapshot);
    this.notify({ type: 'breaker', provider, snapshot });
  }

  takeToken(key: string, limit: TokenBucketLimit, now: number): boolean {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: limit.burst, refilledAt: now };
      this.buckets.set(key, bucket);
    } else {
      const elapsedMs = Math.max(0, now - bucket.refilledAt);
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsedMs * limit.perSecond) / 1000);
      bucket.refilledAt = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  subscribe(listener: (change: RouterStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(change: RouterStateChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
