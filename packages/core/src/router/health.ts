/**
 * Success rate and latency of one provider over a sliding window, in a ring of time buckets so that
 * recording is O(1) and old samples fall out without a timer.
 */

interface Bucket {
  startedAt: number;
  successes: number;
  failures: number;
  latencyTotalMs: number;
}

export interface HealthSnapshot {
  /** Successes over calls in the window; undefined with no calls. */
  successRate: number | undefined;
  /** Mean latency of the calls in the window; undefined with no calls. */
  meanLatencyMs: number | undefined;
  samples: number;
}

export class HealthWindow {
  private readonly buckets: Bucket[];
  private readonly bucketMs: number;
  private current = 0;

  constructor(
    private readonly windowMs: number,
    bucketCount = 10,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / bucketCount));
    this.buckets = Array.from({ length: bucketCount }, () => ({
      startedAt: Number.NEGATIVE_INFINITY,
      successes: 0,
      failures: 0,
      latencyTotalMs: 0,
    }));
  }

  record(now: number, ok: boolean, latencyMs: number): void {
    let bucket = this.buckets[this.current] as Bucket;
    if (now - bucket.startedAt >= this.bucketMs) {
      this.current = (this.current + 1) % this.buckets.length;
      bucket = this.buckets[this.current] as Bucket;
      bucket.startedAt = now;
      bucket.successes = 0;
      bucket.failures = 0;
      bucket.latencyTotalMs = 0;
    }
    if (ok) bucket.successes++;
    else bucket.failures++;
    bucket.latencyTotalMs += latencyMs;
  }

  snapshot(now: number): HealthSnapshot {
    let successes = 0;
    let failures = 0;
    let latencyTotalMs = 0;
    for (const bucket of this.buckets) {
      if (now - bucket.startedAt >= this.windowMs) continue;
      successes += bucket.successes;
      failures += bucket.failures;
      latencyTotalMs += bucket.latencyTotalMs;
    }
    const samples = successes + failures;
    return {
      successRate: samples === 0 ? undefined : successes / samples,
      meanLatencyMs: samples === 0 ? undefined : latencyTotalMs / samples,
      samples,
    };
  }
}
