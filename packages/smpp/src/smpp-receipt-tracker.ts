import {
  canAdvanceStatus,
  type DeliveryEvent,
  isFailureStatus,
  isFinalStatus,
  type SmsDeliveryStatus,
} from '@msg/core';
import { messageIdVariants, normaliseMessageId } from './smpp-message-id.js';
import { type DeliveryReceipt, type ReconciledMessage, reconcileReceipts } from './smpp-receipt.js';

interface TrackedMessage {
  /** submit_sm_resp ids of every part; the first is the providerMessageId. */
  partIds: string[];
  messageId: string | undefined;
  recipient: string;
  receipts: DeliveryReceipt[];
  /** Last status reported; `sent` (the send's own status) unless `reportSent` is on. */
  status: SmsDeliveryStatus | undefined;
  final: boolean;
}

interface HeldReceipt {
  receipt: DeliveryReceipt;
  timer: NodeJS.Timeout;
}

export interface ReceiptTrackerOptions {
  /** Sent messages remembered for reconciliation; the oldest are forgotten first. */
  capacity: number;
  /** How long a receipt waits for its message to be tracked before it is reported on its own. */
  holdMs: number;
  now(): number;
  emit(event: DeliveryEvent): void;
  /**
   * Also report a receipt that leaves the message at `sent` (ENROUTE, ACCEPTD, or some parts of a
   * concatenated message delivered). Off by default: `send()` already returned `sent`.
   */
  reportSent?: boolean;
  /** `details.partStatuses`: normalised statuses (`delivered,pending`, default) or stat words (`DELIVRD,-`). */
  partStatuses?: 'status' | 'providerStatus';
}

/**
 * Turns per-part SMPP receipts into one `DeliveryEvent` per forward change of a message's status:
 * the parts of a concatenated message are reconciled (`reconcileReceipts`), so a three-part message
 * that is delivered gives one `delivered` event, not three. A receipt can arrive before `submit()`
 * has resolved (the SMSC answers part one while part three is still in flight); it is held until
 * the message is tracked, or reported on its own after `holdMs` (a message sent before a restart).
 */
export class ReceiptTracker {
  private readonly messages = new Map<string, TrackedMessage>();
  private readonly parts = new Map<string, TrackedMessage>();
  private readonly held = new Map<string, HeldReceipt>();

  constructor(private readonly options: ReceiptTrackerOptions) {}

  track(partIds: readonly string[], messageId: string | undefined, recipient: string): void {
    const first = partIds[0];
    if (first === undefined) return;
    const tracked: TrackedMessage = {
      partIds: [...partIds],
      messageId,
      recipient,
      receipts: [],
      status: this.options.reportSent ? undefined : 'sent',
      final: false,
    };
    this.messages.set(first, tracked);
    for (const id of partIds) this.parts.set(normaliseMessageId(id), tracked);
    while (this.messages.size > this.options.capacity)
      this.forget(this.messages.keys().next().value as string);
    for (const id of partIds) {
      const key = normaliseMessageId(id);
      const held = this.held.get(key);
      if (!held) continue;
      this.held.delete(key);
      clearTimeout(held.timer);
      this.apply(tracked, held.receipt);
    }
  }

  receive(receipt: DeliveryReceipt): void {
    const tracked = this.find(receipt);
    if (tracked) {
      this.apply(tracked, receipt);
      return;
    }
    const key = normaliseMessageId(receipt.messageId);
    const previous = this.held.get(key);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => {
      this.held.delete(key);
      this.options.emit(this.untrackedEvent(receipt));
    }, this.options.holdMs);
    timer.unref();
    this.held.set(key, { receipt, timer });
  }

  /** Reports held receipts now (on close), so none is lost. */
  flush(): void {
    for (const [key, held] of this.held) {
      clearTimeout(held.timer);
      this.held.delete(key);
      this.options.emit(this.untrackedEvent(held.receipt));
    }
  }

  get trackedCount(): number {
    return this.messages.size;
  }

  private find(receipt: DeliveryReceipt): TrackedMessage | undefined {
    const exact = this.parts.get(normaliseMessageId(receipt.messageId));
    if (exact || receipt.matched) return exact;
    // Not matched by the session (its index forgot the id): try the id in the other base.
    for (const variant of messageIdVariants(receipt.receiptMessageId)) {
      const found = this.parts.get(variant);
      if (found) return found;
    }
    return undefined;
  }

  private apply(tracked: TrackedMessage, receipt: DeliveryReceipt): void {
    if (tracked.final) return;
    tracked.receipts.push(receipt);
    const reconciled = reconcileReceipts(tracked.partIds, tracked.receipts);
    if (reconciled.final) {
      tracked.final = true;
      // Every part has its final receipt: nothing more will come for this message.
      if (reconciled.parts.every((part) => part.status !== undefined && isFinalStatus(part.status)))
        this.forget(tracked.partIds[0] as string);
    }
    if (reconciled.status === tracked.status || !canAdvanceStatus(tracked.status, reconciled.status)) return;
    tracked.status = reconciled.status;
    const deciding = isFailureStatus(reconciled.status)
      ? (reconciled.parts.find((part) => part.status === reconciled.status)?.receipts.at(-1) ?? receipt)
      : receipt;
    const partIndex = reconciled.parts.findIndex((part) => part.receipts.includes(deciding));
    this.options.emit({
      providerMessageId: tracked.partIds[0] as string,
      messageId: tracked.messageId,
      status: reconciled.status,
      providerStatus: deciding.providerStatus,
      occurredAt: deciding.doneAt ?? new Date(this.options.now()),
      recipient: tracked.recipient,
      eventId: `${tracked.partIds[0]}:${reconciled.status}`,
      error: errorOf(deciding, reconciled.status),
      details: {
        parts: String(tracked.partIds.length),
        partStatuses: this.partStatuses(reconciled),
        receiptMessageId: deciding.receiptMessageId,
        ...(tracked.partIds.length > 1 ? { part: String(partIndex + 1) } : {}),
        ...networkErrorDetail(deciding),
      },
    });
  }

  private partStatuses(reconciled: ReconciledMessage): string {
    return this.options.partStatuses === 'providerStatus'
      ? reconciled.parts.map((part) => part.receipts.at(-1)?.providerStatus ?? '-').join(',')
      : reconciled.parts.map((part) => part.status ?? 'pending').join(',');
  }

  private untrackedEvent(receipt: DeliveryReceipt): DeliveryEvent {
    return {
      providerMessageId: receipt.messageId,
      status: receipt.status,
      providerStatus: receipt.providerStatus,
      occurredAt: receipt.doneAt ?? new Date(this.options.now()),
      recipient: /^\d+$/.test(receipt.recipient) ? `+${receipt.recipient}` : receipt.recipient,
      eventId: `${receipt.messageId}:${receipt.status}`,
      error: errorOf(receipt, receipt.status),
      // Not one of the messages this instance remembers (sent before a restart, or forgotten):
      // for a concatenated message this is one part's receipt.
      details: {
        reconciled: 'false',
        receiptMessageId: receipt.receiptMessageId,
        ...networkErrorDetail(receipt),
      },
    };
  }

  private forget(firstPartId: string): void {
    const tracked = this.messages.get(firstPartId);
    if (!tracked) return;
    this.messages.delete(firstPartId);
    for (const id of tracked.partIds) {
      const key = normaliseMessageId(id);
      if (this.parts.get(key) === tracked) this.parts.delete(key);
    }
  }
}

function errorOf(receipt: DeliveryReceipt, status: SmsDeliveryStatus): DeliveryEvent['error'] {
  if (!isFailureStatus(status)) return undefined;
  return { code: receipt.errorCode ?? receipt.providerStatus, message: `stat:${receipt.providerStatus}` };
}

function networkErrorDetail(receipt: DeliveryReceipt): { networkErrorCode?: string } {
  const code = receipt.networkErrorCode;
  return code ? { networkErrorCode: `${code.networkType}:${code.code}` } : {};
}
