import type { Router } from '@msg/core';

interface Bucket {
  startedAt: number;
  sends: number;
  errors: number;
  latencyTotalMs: number;
}

export interface ActivitySnapshot {
  /** Provider calls that finished in the last minute. */
  sendsPerMinute: number;
  /** Of those, the ones that failed (any error kind). */
  errorsPerMinute: number;
  /** Mean latency of those calls; undefined with none. */
  meanLatencyMs: number | undefined;
}

const BUCKET_MS = 5000;
const WINDOW_MS = 60_000;

/**
 * What each provider did over the last minute, for the dashboard: calls, failures and latency, in
 * a ring of 5-second buckets per provider, so recording is a few additions on the send path and a
 * snapshot reads twelve buckets.
 */
export class ProviderActivity {
  private readonly rings = new Map<string, Bucket[]>();

  constructor(private readonly now: () => number) {}

  /** Subscribes to the router's attempt events; returns the function that unsubscribes. */
  observe(router: Router): () => void {
    const off = [
      router.on('attempt-succeeded', (event) => this.record(event.provider, true, event.attempt.latencyMs)),
      router.on('attempt-failed', (event) => this.record(event.provider, false, event.attempt.latencyMs)),
    ];
    return () => {
      for (const stop of off) stop();
    };
  }

  record(provider: string, ok: boolean, latencyMs: number): void {
    const now = this.now();
    let ring = this.rings.get(provider);
    if (!ring) {
      ring = Array.from({ length: WINDOW_MS / BUCKET_MS }, () => ({
        startedAt: Number.NEGATIVE_INFINITY,
        sends: 0,
        errors: 0,
        latencyTotalMs: 0,
      }));
      this.rings.set(provider, ring);
    }
    const start = now - (now % BUCKET_MS);
    const bucket = ring[Math.floor(start / BUCKET_MS) % ring.length] as Bucket;
    if (bucket.startedAt !== start) {
      bucket.startedAt = start;
      bucket.sends = 0;
      bucket.errors = 0;
      bucket.latencyTotalMs = 0;
    }
    bucket.sends++;
    if (!ok) bucket.errors++;
    bucket.latencyTotalMs += latencyMs;
  }

  snapshot(provider: string): ActivitySnapshot {
    const now = this.now();
    let sends = 0;
    let errors = 0;
    let latencyTotalMs = 0;
    for (const bucket of this.rings.get(provider) ?? []) {
      if (now - bucket.startedAt >= WINDOW_MS) continue;
      sends += bucket.sends;
      errors += bucket.errors;
      latencyTotalMs += bucket.latencyTotalMs;
    }
    return {
      sendsPerMinute: sends,
      errorsPerMinute: errors,
      meanLatencyMs: sends === 0 ? undefined : latencyTotalMs / sends,
    };
  }
}
