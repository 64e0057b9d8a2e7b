/**
 * One ordered delivery-status model for every provider. Statuses have a rank; an event moves a
 * message only forward, so a late `sent` never overwrites `delivered`, and a second final outcome
 * never flips the first.
 */

export type SmsDeliveryStatus =
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'expired'
  | 'unknown';
export type EmailDeliveryStatus = SmsDeliveryStatus | 'bounced' | 'complained' | 'opened' | 'clicked';
/** WhatsApp adds `read`: the recipient's app showed the message (blue ticks). */
export type WhatsAppDeliveryStatus = SmsDeliveryStatus | 'read';
export type DeliveryStatus = EmailDeliveryStatus | WhatsAppDeliveryStatus;

export type BounceType = 'permanent' | 'transient';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'queued',
  'sent',
  'unknown',
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'bounced',
  'read',
  'opened',
  'clicked',
  'complained',
];

const RANK: Readonly<Record<DeliveryStatus, number>> = {
  queued: 10,
  sent: 20,
  // No final word after the provider's deadline (e.g. 72 h); a late receipt still moves it on.
  unknown: 25,
  delivered: 30,
  undelivered: 30,
  failed: 30,
  expired: 30,
  bounced: 30,
  // Engagement only follows a delivery; a read message was delivered, even when the provider
  // never said `delivered` (WhatsApp skips it when the message is read at once).
  read: 40,
  opened: 40,
  clicked: 50,
  complained: 60,
};

const FINAL: ReadonlySet<DeliveryStatus> = new Set([
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'bounced',
  'read',
  'opened',
  'clicked',
  'complained',
]);
const NEGATIVE_FINAL: ReadonlySet<DeliveryStatus> = new Set(['undelivered', 'failed', 'expired', 'bounced']);
const ENGAGEMENT: ReadonlySet<DeliveryStatus> = new Set(['read', 'opened', 'clicked', 'complained']);
const DELIVERED: ReadonlySet<DeliveryStatus> = new Set(['delivered', ...ENGAGEMENT]);

export function isDeliveryStatus(value: unknown): value is DeliveryStatus {
  return typeof value === 'string' && value in RANK;
}

export function statusRank(status: DeliveryStatus): number {
  return RANK[status];
}

/** Whether the status is an outcome (the provider will say nothing more about delivery). */
export function isFinalStatus(status: DeliveryStatus): boolean {
  return FINAL.has(status);
}

/** Whether the status means the message did not reach the recipient. */
export function isFailureStatus(status: DeliveryStatus): boolean {
  return NEGATIVE_FINAL.has(status);
}

/** Whether the status says the message reached the recipient (`delivered`, or engagement that implies it). */
export function isDeliveredStatus(status: DeliveryStatus): boolean {
  return DELIVERED.has(status);
}

/**
 * Whether an event with status `next` may replace the message's `current` status.
 * Only a higher rank moves a message; engagement (read, opened, clicked, complained) never
 * overrides a failure, since a provider that says "opened" after "bounced" is reporting noise, and
 * the first final outcome stays.
 */
export function canAdvanceStatus(current: DeliveryStatus | undefined, next: DeliveryStatus): boolean {
  if (current === undefined) return true;
  if (NEGATIVE_FINAL.has(current) && ENGAGEMENT.has(next)) return false;
  return RANK[next] > RANK[current];
}

/** The status a message ends in after these statuses arrive in any order. */
export function reduceStatuses(statuses: Iterable<DeliveryStatus>): DeliveryStatus | undefined {
  let current: DeliveryStatus | undefined;
  for (const status of statuses) if (canAdvanceStatus(current, status)) current = status;
  return current;
}
