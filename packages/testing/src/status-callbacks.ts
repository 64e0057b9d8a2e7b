import { request } from 'undici';

export interface StatusCallback {
  url: string;
  method?: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export interface DeliveredCallback extends StatusCallback {
  /** HTTP status the receiver answered, or 0 when it could not be reached. */
  status: number;
  attempts: number;
}

export interface StatusCallbacksOptions {
  /** Attempts per callback before giving up (the receiver may be down). */
  attempts?: number;
  retryDelayMs?: number;
}

/**
 * Sends a simulator's delivery receipts to the receiver, after a delay and with retries, the way
 * a provider does. Signing is the plugin simulator's job: it passes finished headers. They go
 * through undici's keep-alive pool: the global `fetch` costs the simulator several times the CPU
 * per request, which in a benchmark is counted against the gateway it shares a machine with.
 */
export class StatusCallbacks {
  readonly delivered: DeliveredCallback[] = [];
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private waiters: Array<() => void> = [];
  private stopped = false;

  constructor(options: StatusCallbacksOptions = {}) {
    this.attempts = options.attempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 200;
  }

  schedule(callback: StatusCallback, delayMs = 0): void {
    if (this.stopped) return;
    this.pending++;
    this.later(() => this.attempt(callback, 1), delayMs);
  }

  /** Resolves when every scheduled callback has been delivered or given up on. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending = 0;
    this.settle();
  }

  private later(run: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private async attempt(callback: StatusCallback, attempt: number): Promise<void> {
    let status = 0;
    try {
      const response = await request(callback.url, {
        method: (callback.method ?? 'POST') as 'POST',
        headers: callback.headers,
        body: callback.body,
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      status = response.statusCode;
      await response.body.dump();
    } catch {
      status = 0;
    }
    if (this.stopped) return;
    const failed = status === 0 || status >= 500;
    if (failed && attempt < this.attempts) {
      this.later(() => this.attempt(callback, attempt + 1), this.retryDelayMs * attempt);
      return;
    }
    this.delivered.push({ ...callback, status, attempts: attempt });
    this.pending--;
    this.settle();
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
