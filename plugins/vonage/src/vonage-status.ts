import { type DeliveryStatus, isFailureStatus } from '@msg/core';

/**
 * Delivery-receipt `status` -> normalised status.
 * - `accepted` (the carrier took it) and `buffered` (the carrier is retrying) are on their way.
 * - `failed` is `undelivered`: the carrier tried and could not deliver (`err-code` says why);
 *   `rejected` is `failed`: Vonage or the carrier refused it before any attempt.
 * - `expired` also comes from Vonage itself when no final receipt arrived within 72 hours.
 * - `deleted` (a Reports API status, the SMPP DELETED) never reaches the handset: `failed`.
 */
export const VONAGE_STATUS_MAP = {
  accepted: 'sent',
  buffered: 'sent',
  delivered: 'delivered',
  expired: 'expired',
  failed: 'undelivered',
  rejected: 'failed',
  unknown: 'unknown',
  deleted: 'failed',
} as const satisfies Record<string, DeliveryStatus>;

export function vonageStatus(providerStatus: string): DeliveryStatus {
  return (VONAGE_STATUS_MAP as Record<string, DeliveryStatus>)[providerStatus.toLowerCase()] ?? 'unknown';
}

/**
 * Receipt `err-code` values (Vonage's "DLR error codes" support article), with whether the cause
 * is passing (`transient`: the same recipient may be reachable later) or lasting for this
 * recipient (`permanent`). `0` is no error; `1` and `99` say nothing about the recipient.
 */
export const VONAGE_DLR_ERROR_CODES: Readonly<
  Record<string, { name: string; kind?: 'transient' | 'permanent' }>
> = {
  '0': { name: 'Delivered' },
  '1': { name: 'Unknown' },
  '2': { name: 'Absent Subscriber - Temporary', kind: 'transient' },
  '3': { name: 'Absent Subscriber - Permanent', kind: 'permanent' },
  '4': { name: 'Call Barred by User', kind: 'permanent' },
  '5': { name: 'Portability Error', kind: 'permanent' },
  '6': { name: 'Anti-Spam Rejection', kind: 'permanent' },
  '7': { name: 'Handset Busy', kind: 'transient' },
  '8': { name: 'Network Error', kind: 'transient' },
  '9': { name: 'Illegal Number', kind: 'permanent' },
  '10': { name: 'Illegal Message', kind: 'permanent' },
  '11': { name: 'Unroutable', kind: 'permanent' },
  '12': { name: 'Destination Unreachable', kind: 'permanent' },
  '13': { name: 'Subscriber Age Restriction', kind: 'permanent' },
  '14': { name: 'Number Blocked by Carrier', kind: 'permanent' },
  '15': { name: 'Pre-Paid - Insufficient Funds', kind: 'transient' },
  '16': { name: 'Gateway Quota Exceeded', kind: 'transient' },
  '50': { name: 'Entity Filter', kind: 'permanent' },
  '51': { name: 'Header Filter', kind: 'permanent' },
  '52': { name: 'Content Filter', kind: 'permanent' },
  '53': { name: 'Consent Filter', kind: 'permanent' },
  '54': { name: 'Regulation Error', kind: 'permanent' },
  '99': { name: 'General Error' },
};

/**
 * One message's status from its parts' statuses (each part's most advanced status, in the order
 * the parts first reported; `total` parts in all). The rule:
 * 1. any part failed, undelivered or expired: the message has that status (the first such part's);
 * 2. every part delivered: delivered;
 * 3. every part reported, each delivered or unknown: unknown;
 * 4. otherwise, once any part reported: sent.
 * A multi-part message is thus delivered only when every part is, and fails with its first part
 * that fails.
 */
export function reconcileParts(
  statuses: readonly DeliveryStatus[],
  total: number,
): DeliveryStatus | undefined {
  if (statuses.length === 0) return undefined;
  const failure = statuses.find((status) => isFailureStatus(status));
  if (failure) return failure;
  const complete = statuses.length >= total;
  if (complete && statuses.every((status) => status === 'delivered')) return 'delivered';
  if (complete && statuses.every((status) => status === 'delivered' || status === 'unknown'))
    return 'unknown';
  return 'sent';
}
