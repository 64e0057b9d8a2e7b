import { type DeliveryStatus, isDeliveredStatus, isFinalStatus } from '@msg/core';

/** Final receipts remembered per provider: the delivered rate is over the most recent ones. */
const WINDOW = 500;

/**
 * Each provider's recent delivered rate, from the final statuses its receipts brought (delivered
 * against failed, undelivered, expired): the quality the `least-cost` strategy asks of a provider.
 * In memory, per gateway process; it starts empty (no provider is held back before it has data).
 */
export class DeliveredRates {
  private readonly windows = new Map<
    string,
    { outcomes: Uint8Array; next: number; count: number; delivered: number }
  >();

  /** A receipt moved one of the provider's messages to `status`. */
  record(providerId: string, status: DeliveryStatus): void {
    if (!isFinalStatus(status)) return;
    let window = this.windows.get(providerId);
    if (!window) {
      window = { outcomes: new Uint8Array(WINDOW), next: 0, count: 0, delivered: 0 };
      this.windows.set(providerId, window);
    }
    const delivered = isDeliveredStatus(status) ? 1 : 0;
    if (window.count === WINDOW) window.delivered -= window.outcomes[window.next] as number;
    else window.count++;
    window.outcomes[window.next] = delivered;
    window.delivered += delivered;
    window.next = (window.next + 1) % WINDOW;
  }

  /** Delivered share (0-1) of the provider's recent final receipts; undefined before any. */
  readonly rate = (providerId: string): number | undefined => {
    const window = this.windows.get(providerId);
    return window && window.count > 0 ? window.delivered / window.count : undefined;
  };
}
