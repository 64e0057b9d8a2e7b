const BUCKET_MS = 1000;
const BUCKETS = 10;

/** Messages a dispatcher finished per second over the last ten seconds (one counter per second). */
export class DeliveryRate {
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  private bucket = 0;
  private bucketStart = 0;

  constructor(private readonly now: () => number) {
    this.bucketStart = now();
  }

  record(): void {
    this.advance();
    this.counts[this.bucket] = (this.counts[this.bucket] as number) + 1;
  }

  perSecond(): number {
    this.advance();
    let total = 0;
    for (const count of this.counts) total += count;
    return total / BUCKETS;
  }

  private advance(): void {
    const now = this.now();
    let steps = Math.floor((now - this.bucketStart) / BUCKET_MS);
    if (steps <= 0) return;
    this.bucketStart += steps * BUCKET_MS;
    for (steps = Math.min(steps, BUCKETS); steps > 0; steps--) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.counts[this.bucket] = 0;
    }
  }
}
