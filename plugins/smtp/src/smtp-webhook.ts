import type { BounceType, DeliveryEvent, DeliveryStatus } from '@msg/core';
import type { BounceReport, DsnAction, DsnRecipient } from './smtp-api-types.js';
import { parseBounce } from './smtp-dsn.js';

/**
 * DSN `Action` -> normalised status. `relayed` and `expanded` mean nothing more will come, so the
 * message stays `sent`; `delayed` is a transient bounce (keep waiting); `failed` is a bounce,
 * permanent or transient by the class of its `Status` (5.x.x or 4.x.x).
 */
export const SMTP_STATUS_MAP = {
  delivered: 'delivered',
  relayed: 'sent',
  expanded: 'sent',
  delayed: 'bounced',
  failed: 'bounced',
} as const satisfies Record<DsnAction, DeliveryStatus>;

/** `<id@host>` -> `id@host`, the form `send` returns as `providerMessageId`. */
export function bareMessageId(value: string | undefined): string | undefined {
  const bare = value?.trim().replace(/^<|>$/g, '');
  return bare ? bare : undefined;
}

function bounceTypeOf(action: DsnAction, status: string): BounceType | undefined {
  if (action === 'delayed') return 'transient';
  if (action !== 'failed') return undefined;
  return status.startsWith('5.') ? 'permanent' : 'transient';
}

function recipientEvent(report: BounceReport, entry: DsnRecipient, now: number): DeliveryEvent {
  const providerMessageId = bareMessageId(report.originalMessageId) ?? '';
  const messageId = report.deliveryStatus?.originalEnvelopeId;
  const details: Record<string, string> = {};
  if (report.deliveryStatus?.reportingMta) details.reportingMta = report.deliveryStatus.reportingMta;
  if (entry.remoteMta) details.remoteMta = entry.remoteMta;
  if (entry.status) details.status = entry.status;
  const failing = entry.action === 'failed' || entry.action === 'delayed';
  return {
    providerMessageId,
    messageId,
    status: SMTP_STATUS_MAP[entry.action],
    providerStatus: entry.action,
    occurredAt: entry.lastAttemptDate ?? report.deliveryStatus?.arrivalDate ?? report.date ?? new Date(now),
    recipient: entry.finalRecipient,
    // A relay may send the same report again: the same recipient, action and status is one event.
    eventId: `${messageId ?? providerMessageId}:${entry.finalRecipient}:${entry.action}:${entry.status}`,
    bounceType: bounceTypeOf(entry.action, entry.status),
    error: failing ? { code: entry.status || entry.action, message: entry.diagnosticCode } : undefined,
    details: Object.keys(details).length > 0 ? details : undefined,
  };
}

/**
 * Delivery events in a bounce mail. An RFC 3464 report gives one event per recipient; a plain
 * bounce without DSN framing gives one `bounced` event when it names the original Message-ID and
 * an enhanced status code; anything else (an auto-reply, spam) gives none.
 */
export function bounceEvents(raw: Uint8Array, now: number): DeliveryEvent[] {
  const report = parseBounce(raw);
  const status = report.deliveryStatus;
  if (status && status.recipients.length > 0) {
    if (!status.originalEnvelopeId && !report.originalMessageId) return [];
    return status.recipients.map((entry) => recipientEvent(report, entry, now));
  }
  const providerMessageId = bareMessageId(report.originalMessageId);
  const code = /\b([45])\.\d{1,3}\.\d{1,3}\b/.exec(report.text ?? '')?.[0];
  if (!providerMessageId || !code) return [];
  return [
    {
      providerMessageId,
      status: 'bounced',
      providerStatus: 'bounce',
      occurredAt: report.date ?? new Date(now),
      eventId: `${providerMessageId}:bounce:${code}`,
      bounceType: code.startsWith('5') ? 'permanent' : 'transient',
      error: { code, message: report.text },
    },
  ];
}
