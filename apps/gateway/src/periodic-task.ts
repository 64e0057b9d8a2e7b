import type { Logger } from '@msg/core';

export interface PeriodicTaskOptions {
  /** Names the task in logs. */
  name: string;
  intervalMs: number;
  logger: Logger;
}

/**
 * A background sweep: runs every `intervalMs` and soon after `kick()`, never two runs at once. A
 * run returns whether it left work behind (it took a full batch); then the next one follows at
 * once, so a backlog drains in bounded batches without waiting for the timer. A failing run is
 * logged (the first of a series as an error) and the next one tries again.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Set while runs fail, so a store down for an hour logs once, not once a second. */
  private failing = false;

  constructor(
    private readonly run: () => Promise<boolean>,
    private readonly options: PeriodicTaskOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      // Yield first: a kick from inside a store callback runs after the caller's turn.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.stopped) return;
      try {
        if (await this.run()) this.again = true;
        if (this.failing) this.options.logger.info(`${this.options.name} runs again`);
        this.failing = false;
      } catch (error) {
        const level = this.failing ? 'debug' : 'error';
        this.options.logger[level](`${this.options.name} failed; the next run tries again`, { error });
        this.failing = true;
      }
    } while (this.again && !this.stopped);
  }

  /** Stops the timer and waits for the run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
