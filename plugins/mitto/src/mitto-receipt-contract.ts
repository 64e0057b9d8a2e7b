import type { DeliveryStatus } from '@msg/core';

/**
 * THE ASSUMED DELIVERY-REPORT CONTRACT. Mitto documents its receipts only on pages we could not
 * read in full; this file declares what the plugin expects and what its simulator sends, so both
 * change together once Mitto's own reference (its Postman collection) confirms or corrects it.
 * The README's "Assumed receipt contract" section says the same in words.
 *
 * What is known: Mitto calls a whitelisted URL (the account's, or a message's `callback`) by GET
 * or POST, carrying the message id, our `reference` and a status; nothing is signed. Mitto's own
 * ChatApps product documents receiving it as JSON `{"messageId", "status", "errorcode"}`.
 * What is assumed: the rest of the field names, the status words and that a long text gets one
 * report, under the first part's id (the only id the send answer gives).
 */

/** Field names of a report, primary first, then aliases the parser also accepts. */
export const RECEIPT_FIELDS = {
  id: ['messageId', 'id'],
  status: ['status'],
  errorCode: ['errorcode', 'errorCode'],
  reference: ['reference'],
  recipient: ['to', 'msisdn'],
  timestamp: ['timestamp'],
} as const;

/** The simulator's encoding: a JSON POST. The parser also reads GET query strings and forms. */
export const RECEIPT_CONTENT_TYPE = 'application/json';

/**
 * Status words (any case) -> normalised status: Mitto's report words and the SMPP `stat:` words
 * its carriers use, since Mitto is an SMPP aggregator.
 * - accepted, enroute, sent, buffered: the carrier has it, no outcome yet;
 * - undelivered (UNDELIV): the carrier could not deliver;
 * - rejected, deleted: refused before delivery, so `failed`;
 * - expired: `validity` (48 h by default) ran out.
 */
export const MITTO_STATUS_MAP = {
  delivered: 'delivered',
  delivrd: 'delivered',
  undelivered: 'undelivered',
  undeliv: 'undelivered',
  expired: 'expired',
  rejected: 'failed',
  rejectd: 'failed',
  deleted: 'failed',
  unknown: 'unknown',
  accepted: 'sent',
  acceptd: 'sent',
  enroute: 'sent',
  sent: 'sent',
  buffered: 'sent',
} as const satisfies Record<string, DeliveryStatus>;

/** The word the simulator sends for each outcome it plays. */
export const SIMULATOR_STATUS_WORDS: Readonly<Record<string, string>> = {
  delivered: 'Delivered',
  undelivered: 'Undelivered',
  expired: 'Expired',
  failed: 'Rejected',
  rejected: 'Rejected',
  deleted: 'Deleted',
  unknown: 'Unknown',
  sent: 'Enroute',
  accepted: 'Accepted',
};

/** Prefix of the `reference` a bulk send shares across its recipients (ours, not Mitto's). */
export const BULK_REFERENCE_PREFIX = 'msg-bulk-';
