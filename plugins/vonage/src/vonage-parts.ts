import { canAdvanceStatus, type DeliveryStatus } from '@msg/core';
import { reconcileParts } from './vonage-status.js';

/** A part's receipt, as far as reconciling needs it. */
export interface PartReport {
  partId: string;
  status: DeliveryStatus;
}

/** What the message as a whole now is, when that is news to the host. */
export interface ReconciledStatus {
  /** The first part's id: the `providerMessageId` the send returned. */
  firstPartId: string;
  messageId: string | undefined;
  parts: number;
  status: DeliveryStatus;
  /** The part whose receipt decided this status. */
  decidingPartId: string;
}

interface TrackedMessage {
  firstPartId: string;
  messageId: string | undefined;
  partIds: readonly string[];
  /** Each part's most advanced status, in the order the parts first reported. */
  statuses: Map<string, DeliveryStatus>;
  /** What the host was last told about the message. */
  reported: DeliveryStatus | undefined;
  trackedAt: number;
}

export interface PartLedgerSettings {
  /** Most multi-part messages remembered; the oldest are forgotten first. */
  maxMessages: number;
  /** How long a message is remembered after its send (the receipt window). */
  retentionMs: number;
  now(): number;
}

/**
 * Vonage answers one message id per part and sends one receipt per part. The ledger remembers,
 * per provider instance and in memory, which parts make up each multi-part message it sent, and
 * turns the parts' receipts into the message's status (`reconcileParts`), reported under the
 * first part's id only when it moves the message forward. A message stays until the receipt
 * window closes (or `maxMessages` pushes it out), so that late and repeated receipts of its parts
 * stay quiet once its outcome is known.
 */
export class PartLedger {
  private readonly messages = new Map<string, TrackedMessage>();
  private readonly byPart = new Map<string, TrackedMessage>();

  constructor(private readonly settings: PartLedgerSettings) {}

  /** Remembers a message's parts; a one-part message needs no reconciling and is not kept. */
  track(partIds: readonly string[], messageId: string | undefined): void {
    const [firstPartId] = partIds;
    if (firstPartId === undefined || partIds.length < 2) return;
    this.sweep();
    const tracked: TrackedMessage = {
      firstPartId,
      messageId,
      partIds,
      statuses: new Map(),
      reported: undefined,
      trackedAt: this.settings.now(),
    };
    this.messages.set(firstPartId, tracked);
    for (const partId of partIds) this.byPart.set(partId, tracked);
    while (this.messages.size > this.settings.maxMessages) {
      const oldest = this.messages.values().next().value as TrackedMessage;
      this.forget(oldest);
    }
  }

  /** The part ids of a tracked message, by its first part's id. */
  partsOf(firstPartId: string): readonly string[] | undefined {
    return this.messages.get(firstPartId)?.partIds;
  }

  /**
   * Records a part's receipt: the message's new status, `null` when the receipt moves nothing
   * (another part is still out, or the host already has this status), or `undefined` when the
   * part belongs to no tracked message (a one-part message, or one sent before a restart).
   */
  record(report: PartReport): ReconciledStatus | null | undefined {
    this.sweep();
    const tracked = this.byPart.get(report.partId);
    if (!tracked) return undefined;
    const current = tracked.statuses.get(report.partId);
    if (canAdvanceStatus(current, report.status)) tracked.statuses.set(report.partId, report.status);
    const status = reconcileParts([...tracked.statuses.values()], tracked.partIds.length);
    if (status === undefined || !canAdvanceStatus(tracked.reported, status)) return null;
    tracked.reported = status;
    return {
      firstPartId: tracked.firstPartId,
      messageId: tracked.messageId,
      parts: tracked.partIds.length,
      status,
      decidingPartId: report.partId,
    };
  }

  private forget(tracked: TrackedMessage): void {
    this.messages.delete(tracked.firstPartId);
    for (const partId of tracked.partIds) {
      if (this.byPart.get(partId) === tracked) this.byPart.delete(partId);
    }
  }

  /** Drops messages past the receipt window; the map is in send order, so the oldest come first. */
  private sweep(): void {
    const horizon = this.settings.now() - this.settings.retentionMs;
    for (const tracked of this.messages.values()) {
      if (tracked.trackedAt >= horizon) break;
      this.forget(tracked);
    }
  }
}
