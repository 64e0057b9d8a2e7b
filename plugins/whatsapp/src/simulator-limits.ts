/** A token bucket per key: `rate` sends a second, bursts up to `rate` (Meta's 80 messages/s per number). */
export class ThroughputLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly clock: () => number,
  ) {}

  take(key: string): boolean {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.rate, at: now };
    bucket.tokens = Math.min(this.rate, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** At most one message per `intervalMs` from one number to one recipient (Meta's pair limit, 131056). */
export class PairLimit {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number,
  ) {}

  take(sender: string, recipient: string): boolean {
    if (this.intervalMs <= 0) return true;
    const key = `${sender}>${recipient}`;
    const now = this.clock();
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.last.set(key, now);
    return true;
  }
}

const WINDOW_MS = 24 * 60 * 60 * 1000;

/** The customer-service window: free text only within 24 h of the user's last message to the number. */
export class ServiceWindows {
  private readonly lastInbound = new Map<string, number>();

  constructor(private readonly clock: () => number) {}

  /** The user wrote to the business number: the window opens (again) for 24 h. */
  open(sender: string, recipient: string): void {
    this.lastInbound.set(`${sender}>${recipient}`, this.clock());
  }

  isOpen(sender: string, recipient: string): boolean {
    const at = this.lastInbound.get(`${sender}>${recipient}`);
    return at !== undefined && this.clock() - at < WINDOW_MS;
  }
}
