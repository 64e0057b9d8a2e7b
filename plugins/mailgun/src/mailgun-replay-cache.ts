/**
 * Tokens of webhooks already accepted, so a captured callback cannot be played again. Bounded
 * (oldest dropped first) and time-limited: a token older than the freshness window is refused
 * as stale anyway. In-memory, so per gateway process: several instances behind one URL need a
 * shared store (the cache is one small interface, so one can be injected later).
 */
export interface ReplayCache {
  /** Records `token`; false when it was seen before and has not expired. */
  remember(token: string, nowMs: number): boolean;
}

export class MemoryReplayCache implements ReplayCache {
  /** token -> expiry (epoch ms); Map keeps insertion order, so the first entry is the oldest. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    /** 0 keeps tokens until capacity pushes them out. */
    private readonly ttlMs: number,
  ) {}

  remember(token: string, nowMs: number): boolean {
    const expiry = this.seen.get(token);
    if (expiry !== undefined && (this.ttlMs === 0 || expiry > nowMs)) return false;
    this.seen.delete(token);
    this.seen.set(token, this.ttlMs === 0 ? Number.POSITIVE_INFINITY : nowMs + this.ttlMs);
    this.evict(nowMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(nowMs: number): void {
    for (const [token, expiry] of this.seen) {
      if (this.seen.size <= this.capacity && expiry > nowMs) break;
      this.seen.delete(token);
    }
  }
}
