import type { ServerResponse } from 'node:http';
import type { Logger } from '@msg/core';

/** What the feed pushes, read fresh on every tick. */
export interface LiveSources {
  /** Providers with breaker, halt, score, in flight and the last minute's activity. */
  providers(): unknown;
  /** Every migration as `GET /v1/migrations` shows it. */
  migrations(): Promise<unknown>;
}

export interface LiveFeedOptions {
  intervalMs: number;
  /** Streams open at once; more are refused (each holds a connection). */
  maxClients: number;
  /** Bytes a stream may fall behind before it is dropped: a stalled client must not hold memory. */
  maxBufferedBytes: number;
  logger: Logger;
  now: () => number;
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

// Time in step grows every tick; the page derives it from `stepStartedAt` and `at`.
const comparable = (value: unknown) =>
  JSON.stringify(value, (key, item) => (key === 'timeInStepMs' ? undefined : item));

/**
 * One server-sent-events feed for every open dashboard. Each tick builds the snapshot once and
 * writes the same bytes to every stream: ten dashboards cost one snapshot a second, not ten, and
 * nothing runs while none is open. Providers go out every tick (their per-minute figures move);
 * migrations only when they changed, or at once after an admin action (`kick`).
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastMigrations: string | undefined;
  private lastMigrationsFrame: string | undefined;
  private failing = false;

  constructor(
    private readonly sources: LiveSources,
    private readonly options: LiveFeedOptions,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Whether another stream may open now. */
  get full(): boolean {
    return this.clients.size >= this.options.maxClients;
  }

  /** Takes over a response as an event stream; the first snapshot follows at once. */
  add(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // The socket closes with the stream: a stream ended at shutdown leaves no idle connection
      // behind for the server's close to wait on.
      connection: 'close',
      // Proxies (nginx) must pass each event on as it comes.
      'x-accel-buffering': 'no',
    });
    response.write('retry: 2000\n\n');
    if (this.lastMigrationsFrame) response.write(this.lastMigrationsFrame);
    this.clients.add(response);
    response.on('close', () => {
      this.clients.delete(response);
      if (this.clients.size === 0) this.stopTimer();
    });
    this.timer ??= setInterval(() => this.kick(), this.options.intervalMs);
    this.kick(true);
  }

  /** Pushes a snapshot now (migrations included even if unchanged when `full`). */
  kick(full = false): void {
    if (this.clients.size === 0) return;
    if (full) this.lastMigrations = undefined;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.tick().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Ends every stream (the gateway is stopping). */
  close(): void {
    this.stopTimer();
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    const at = new Date(this.options.now()).toISOString();
    try {
      let text = frame('providers', { at, ...(this.sources.providers() as object) });
      const migrations = await this.sources.migrations();
      const key = comparable(migrations);
      if (key !== this.lastMigrations) {
        this.lastMigrations = key;
        this.lastMigrationsFrame = frame('migrations', { at, migrations });
        text += this.lastMigrationsFrame;
      }
      this.failing = false;
      this.broadcast(text);
    } catch (error) {
      // Starting or stopping: the runtime is not there. Say so once, not every second.
      if (!this.failing) this.options.logger.debug('live feed: no snapshot this tick', { error });
      this.failing = true;
    }
  }

  private broadcast(text: string): void {
    for (const client of this.clients) {
      if (client.writableLength > this.options.maxBufferedBytes) {
        client.destroy();
        this.clients.delete(client);
        continue;
      }
      client.write(text);
    }
  }
}
