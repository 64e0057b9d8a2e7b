import { isFailureStatus, reduceStatuses, type SmsDeliveryStatus, statusRank } from '@msg/core';
import { messageIdsMatch, normaliseMessageId } from './smpp-message-id.js';

/** The `stat:` values of the receipt text (SMPP 3.4 appendix B). */
export type ReceiptStat =
  | 'DELIVRD'
  | 'EXPIRED'
  | 'DELETED'
  | 'UNDELIV'
  | 'ACCEPTD'
  | 'UNKNOWN'
  | 'REJECTD'
  | 'ENROUTE';

export const RECEIPT_STATUS_MAP: Readonly<Record<ReceiptStat, SmsDeliveryStatus>> = {
  DELIVRD: 'delivered',
  EXPIRED: 'expired',
  DELETED: 'failed',
  UNDELIV: 'undelivered',
  ACCEPTD: 'sent',
  UNKNOWN: 'unknown',
  REJECTD: 'failed',
  ENROUTE: 'sent',
};

/** message_state TLV (0x0427) values as receipt `stat:` words. */
export const MESSAGE_STATE_STAT: Readonly<Record<number, string>> = {
  0: 'SCHEDULED',
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
  9: 'SKIPPED',
};

/** Normalised status of a `stat:` word or message_state name; `unknown` for words no SMSC should send. */
export function receiptStatus(stat: string): SmsDeliveryStatus {
  const word = stat.trim().toUpperCase();
  if (word in RECEIPT_STATUS_MAP) return RECEIPT_STATUS_MAP[word as ReceiptStat];
  if (word === 'SCHEDULED') return 'queued';
  if (word === 'SKIPPED') return 'failed';
  // Some SMSCs spell the states out (DELIVERED, UNDELIVERABLE).
  if (word.startsWith('DELIV')) return 'delivered';
  if (word.startsWith('UNDELIV')) return 'undelivered';
  if (word.startsWith('REJECT')) return 'failed';
  return 'unknown';
}

export interface ReceiptText {
  id: string;
  submitted?: number;
  delivered?: number;
  submitDate?: Date;
  doneDate?: Date;
  stat: string;
  err?: string;
  text?: string;
}

/** YYMMDDhhmm[ss] as UTC (receipts carry no zone; SMSCs mostly report UTC or their local time). */
export function parseReceiptDate(value: string | undefined): Date | undefined {
  const match = value ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(value) : null;
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(Date.UTC(2000 + year!, month! - 1, day!, hour!, minute!, second!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const FIELD = /\b(id|sub|dlvrd|submit date|done date|stat|err|text)\s*:/gi;

/** Parses `id:... sub:... dlvrd:... submit date:... done date:... stat:... err:... text:...`. */
export function parseReceiptText(body: string): ReceiptText | undefined {
  const fields = new Map<string, string>();
  const matches = [...body.matchAll(FIELD)];
  for (let index = 0; index < matches.length; index++) {
    const match = matches[index] as RegExpMatchArray;
    const key = (match[1] as string).toLowerCase();
    const start = (match.index ?? 0) + match[0].length;
    // `text:` runs to the end: the original text may contain anything, even "stat:".
    const end = key === 'text' ? body.length : (matches[index + 1]?.index ?? body.length);
    if (!fields.has(key)) fields.set(key, body.slice(start, end).trim());
    if (key === 'text') break;
  }
  const id = fields.get('id');
  const stat = fields.get('stat');
  if (!id || !stat) return undefined;
  const count = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : undefined);
  return {
    id,
    submitted: count(fields.get('sub')),
    delivered: count(fields.get('dlvrd')),
    submitDate: parseReceiptDate(fields.get('submit date')),
    doneDate: parseReceiptDate(fields.get('done date')),
    stat: stat.toUpperCase(),
    err: fields.get('err'),
    text: fields.get('text'),
  };
}

export interface NetworkErrorCode {
  /** 1 ANSI-136, 2 IS-95, 3 GSM, ... */
  networkType: number;
  code: number;
}

/** A delivery receipt, normalised. */
export interface DeliveryReceipt {
  /** The id submit_sm_resp returned for the part, when the session matched it; else the receipt's id. */
  messageId: string;
  /** The id exactly as the receipt carried it. */
  receiptMessageId: string;
  /** Whether `messageId` was matched to a submit of this session. */
  matched: boolean;
  status: SmsDeliveryStatus;
  /** The SMSC's word: `DELIVRD`, `UNDELIV`, ... */
  providerStatus: string;
  /** The receipt's `err:` field, or the network error code as `type:code`. */
  errorCode?: string;
  networkErrorCode?: NetworkErrorCode;
  submittedAt?: Date;
  doneAt?: Date;
  /** The handset the message went to (the receipt's source_addr). */
  recipient: string;
  /** Our sender (the receipt's destination_addr). */
  sender: string;
  /** The `text:` field: the first characters of the original message. */
  text?: string;
}

export interface DeliverSmFields {
  esmClass: number;
  sourceAddr: string;
  destinationAddr: string;
  /** short_message (or message_payload) decoded as text. */
  text: string | undefined;
  receiptedMessageId?: string | undefined;
  messageState?: number | undefined;
  networkErrorCode?: Uint8Array | undefined;
}

const RECEIPT_ESM_TYPES = new Set([0x04, 0x08, 0x10, 0x20]);

/** Whether a deliver_sm is a receipt (esm_class message type 0x04 etc., or a receipted_message_id TLV). */
export function isReceipt(fields: DeliverSmFields): boolean {
  return RECEIPT_ESM_TYPES.has(fields.esmClass & 0x3c) || fields.receiptedMessageId !== undefined;
}

/**
 * A receipt from a deliver_sm: the TLVs win over the text (they are typed), the text fills the
 * rest (dates, err). Undefined when it carries neither an id nor a state.
 */
export function parseDeliveryReceipt(
  fields: DeliverSmFields,
): Omit<DeliveryReceipt, 'messageId' | 'matched'> | undefined {
  const parsed = fields.text ? parseReceiptText(fields.text) : undefined;
  const id = fields.receiptedMessageId || parsed?.id;
  const stateWord = fields.messageState === undefined ? undefined : MESSAGE_STATE_STAT[fields.messageState];
  const stat = stateWord ?? parsed?.stat;
  if (!id || !stat) return undefined;
  const network = fields.networkErrorCode;
  const networkErrorCode =
    network && network.length >= 3
      ? { networkType: network[0] as number, code: ((network[1] as number) << 8) | (network[2] as number) }
      : undefined;
  const errorCode =
    parsed?.err ??
    (networkErrorCode ? `${networkErrorCode.networkType}:${networkErrorCode.code}` : undefined);
  return {
    receiptMessageId: id,
    status: receiptStatus(stat),
    providerStatus: stat,
    errorCode,
    networkErrorCode,
    submittedAt: parsed?.submitDate,
    doneAt: parsed?.doneDate,
    recipient: fields.sourceAddr,
    sender: fields.destinationAddr,
    text: parsed?.text,
  };
}

export interface ReconciledPart {
  messageId: string;
  /** Undefined until a receipt for the part arrives. */
  status: SmsDeliveryStatus | undefined;
  receipts: DeliveryReceipt[];
}

export interface ReconciledMessage {
  /** delivered when every part is; the first failed part's status when any failed; else the least advanced. */
  status: SmsDeliveryStatus;
  /** Whether no further receipt can change `status`. */
  final: boolean;
  parts: ReconciledPart[];
}

function belongsTo(receipt: DeliveryReceipt, messageId: string): boolean {
  return (
    messageIdsMatch(receipt.messageId, messageId) || messageIdsMatch(receipt.receiptMessageId, messageId)
  );
}

/**
 * One status for a concatenated message from its parts' receipts: all parts delivered ->
 * delivered; any part failed, undelivered or expired -> that failure (the first part's in order);
 * otherwise the least advanced part (a part without a receipt counts as `sent`: the SMSC took it).
 */
export function reconcileReceipts(
  messageIds: readonly string[],
  receipts: Iterable<DeliveryReceipt>,
): ReconciledMessage {
  const all = [...receipts];
  const exactKeys = messageIds.map((id) => normaliseMessageId(id));
  const parts: ReconciledPart[] = messageIds.map((messageId) => ({
    messageId,
    status: undefined,
    receipts: [],
  }));
  for (const receipt of all) {
    // An exact id match wins over a hex/decimal reading, which may be ambiguous.
    let index = exactKeys.indexOf(normaliseMessageId(receipt.messageId));
    if (index < 0) index = messageIds.findIndex((id) => belongsTo(receipt, id));
    if (index >= 0) parts[index]?.receipts.push(receipt);
  }
  for (const part of parts)
    part.status = reduceStatuses(part.receipts.map((receipt) => receipt.status)) as
      | SmsDeliveryStatus
      | undefined;
  const failed = parts.find((part) => part.status !== undefined && isFailureStatus(part.status));
  if (failed?.status) return { status: failed.status, final: true, parts };
  if (parts.length > 0 && parts.every((part) => part.status === 'delivered')) {
    return { status: 'delivered', final: true, parts };
  }
  let least: SmsDeliveryStatus = 'delivered';
  for (const part of parts) {
    const status = part.status ?? 'sent';
    if (statusRank(status) < statusRank(least)) least = status;
  }
  return { status: parts.length === 0 ? 'unknown' : least, final: false, parts };
}
