import type { Provider } from '@msg/core';
import type { StoredMessage } from '../store/message-store.js';

export interface ReceiptsConfig {
  deadlineMs: number;
  windowMs: number;
  reconcile: { afterMs: number; maxBackoffMs: number; concurrency: number; timeoutMs: number };
}

/** `providerStatus` of the gateway's own `unknown`: the deadline passed, or nothing could ever report. */
export type ExpiryReason = 'receipt-deadline' | 'no-receipts';

/**
 * What the gateway waits for after a send, by what the provider that took it can tell: receipts
 * until the deadline, status look-ups along the way when it has `getStatus`, and no wait at all
 * when it has neither (SNS, Zamtel over HTTP): such a message ends `unknown` as soon as it is sent.
 */
export class ReceiptPlan {
  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    readonly config: ReceiptsConfig,
  ) {}

  private reports(provider: Provider | undefined): boolean {
    return !provider || provider.capabilities.deliveryReceipts || typeof provider.getStatus === 'function';
  }

  /** The receipt deadline and the first status look-up of a message `providerId` just accepted. */
  afterSend(providerId: string, now: number): { receiptDueAt: number; reconcileAt?: number } {
    const provider = this.providers.get(providerId);
    if (!this.reports(provider)) return { receiptDueAt: now };
    return {
      receiptDueAt: now + this.config.deadlineMs,
      ...(provider?.getStatus ? { reconcileAt: now + this.config.reconcile.afterMs } : {}),
    };
  }

  expiryReason(providerId: string | undefined): ExpiryReason {
    return this.reports(providerId === undefined ? undefined : this.providers.get(providerId))
      ? 'receipt-deadline'
      : 'no-receipts';
  }

  /** The provider to ask for a message's status, when it can be asked. */
  lookUp(providerId: string | undefined): Provider | undefined {
    const provider = providerId === undefined ? undefined : this.providers.get(providerId);
    return typeof provider?.getStatus === 'function' ? provider : undefined;
  }

  /** The look-up after this one (backing off, doubling), or none once it would reach the deadline. */
  nextLookUp(message: StoredMessage, now: number): number | undefined {
    const { afterMs, maxBackoffMs } = this.config.reconcile;
    const next = now + Math.min(maxBackoffMs, afterMs * 2 ** (message.reconcileAttempts ?? 1));
    return message.receiptDueAt !== undefined && next >= message.receiptDueAt ? undefined : next;
  }
}
