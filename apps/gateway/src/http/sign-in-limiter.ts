/**
 * Failed sign-ins per client address, as a token bucket: a few mistakes are free, guessing is
 * slowed to `refillPerMinute` tries a minute. While an address has no token left, its sign-ins are
 * refused before any key is looked at, so a guesser learns nothing from them.
 */
export class SignInLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly now: () => number,
    private readonly burst = 5,
    private readonly refillPerMinute = 5,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Seconds until this address may try again, or undefined when it may now. */
  waitFor(address: string): number | undefined {
    const bucket = this.refilled(address);
    if (bucket.tokens >= 1) return undefined;
    return Math.max(1, Math.ceil(((1 - bucket.tokens) / this.refillPerMinute) * 60));
  }

  /** Counts a failed sign-in against the address. */
  failed(address: string): void {
    const bucket = this.refilled(address);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.set(address, bucket);
    if (this.buckets.size > this.maxAddresses) this.forgetFull();
  }

  private refilled(address: string): { tokens: number; at: number } {
    const now = this.now();
    const bucket = this.buckets.get(address) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 60_000) * this.refillPerMinute);
    bucket.at = now;
    return bucket;
  }

  /** Addresses back at a full bucket carry no information: forget them first. */
  private forgetFull(): void {
    for (const address of [...this.buckets.keys()]) {
      if (this.refilled(address).tokens >= this.burst) this.buckets.delete(address);
    }
    // Still too many (a spray from many addresses): drop the oldest entries.
    for (const address of this.buckets.keys()) {
      if (this.buckets.size <= this.maxAddresses) break;
      this.buckets.delete(address);
    }
  }
}
