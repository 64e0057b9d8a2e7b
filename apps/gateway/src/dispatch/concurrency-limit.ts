export interface ConcurrencyBounds {
  /** The limit to start from and never go under. */
  min: number;
  /** Never more messages at providers at once than this; `min === max` fixes the limit. */
  max: number;
}

/** Never fewer sends per window than this: a mean of a few is noise. */
const MIN_WINDOW = 16;

/**
 * How many messages a dispatcher sends at once, sized to provider latency (the idea of TCP
 * Vegas): over each window of sends (about one round of the slots) it compares the mean send
 * latency with the lowest mean seen. While every slot was busy with a backlog waiting and latency
 * stayed near that lowest, more slots are more throughput: the limit grows by a fifth. When latency
 * climbs well above it, requests are queueing at the providers (or in this process): the limit
 * shrinks by a tenth. It stays between `min` and `max`. Small absolute changes (a millisecond or
 * two of event-loop noise on a fast provider) never count as queueing. Once it is down to `min`,
 * our own load cannot explain the latency: the provider became slower, and that latency is the
 * new lowest, from which it grows again.
 */
export class ConcurrencyLimit {
  private value: number;
  private lowest = Number.POSITIVE_INFINITY;
  private sum = 0;
  private count = 0;
  private saturated = false;

  constructor(private readonly bounds: ConcurrencyBounds) {
    this.value = bounds.min;
  }

  get current(): number {
    return this.value;
  }

  get adaptive(): boolean {
    return this.bounds.max > this.bounds.min;
  }

  /**
   * One send's latency, and whether the limit held messages back when it finished (every slot
   * busy while the store had messages waiting).
   */
  sample(latencyMs: number, saturated: boolean): void {
    if (!this.adaptive) return;
    this.sum += latencyMs;
    this.count++;
    if (saturated) this.saturated = true;
    if (this.count < Math.max(MIN_WINDOW, this.value)) return;
    const mean = this.sum / this.count;
    const grow = this.saturated;
    this.sum = 0;
    this.count = 0;
    this.saturated = false;
    this.lowest = Math.min(this.lowest, mean);
    const excess = mean - this.lowest;
    if (excess > Math.max(this.lowest * 0.5, 5)) {
      if (this.value === this.bounds.min) this.lowest = mean;
      this.value = Math.max(this.bounds.min, Math.floor(this.value * 0.9));
    } else if (grow && excess <= Math.max(this.lowest * 0.1, 2)) {
      this.value = Math.min(this.bounds.max, this.value + Math.max(1, Math.floor(this.value * 0.2)));
    }
  }
}
