import { countSmsSegments, type DeliveryStatus } from '@msg/core';
import type { EventRecord, StoredMessage } from '../store/message-store.js';

export const TWILIO_API_VERSION = '2010-04-01';

const MESSAGE_ID = /^msg_([0-9a-f]{32})$/;
const MESSAGE_SID = /^SM([0-9a-f]{32})$/;

/** Our id (`msg_` + 32 hex digits) as a Twilio message SID (`SM` + the same digits). */
export function twilioSid(messageId: string): string {
  const match = MESSAGE_ID.exec(messageId);
  if (!match) throw new Error(`[msg] message id ${messageId} has no Twilio SID form`);
  return `SM${match[1]}`;
}

/** The message id a Twilio SID stands for, or undefined for a SID this gateway never gave. */
export function messageIdOfSid(sid: string): string | undefined {
  const match = MESSAGE_SID.exec(sid);
  return match ? `msg_${match[1]}` : undefined;
}

/** Twilio's dates: RFC 2822 with a numeric zone (`Thu, 24 Aug 2023 05:01:45 +0000`). */
export function twilioDate(time: number): string {
  return new Date(time).toUTCString().replace(/GMT$/, '+0000');
}

/** Our statuses in Twilio's words; `queued` and `unknown` have none Twilio would call back with. */
const CALLBACK_STATUS: Partial<Record<DeliveryStatus, string>> = {
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  // Twilio ends a message whose validity ran out `undelivered` (error 30003 or the carrier's).
  expired: 'undelivered',
  failed: 'failed',
};

/** The `MessageStatus` of a status callback for a change to `status`, if Twilio has one. */
export function twilioCallbackStatus(status: DeliveryStatus): string | undefined {
  return CALLBACK_STATUS[status];
}

/** The message's `status` as Twilio's message resource shows it now. */
export function twilioResourceStatus(message: StoredMessage): string {
  if (message.dispatchState === 'in-flight') return 'sending';
  if (message.dispatchState !== 'done' || message.status === 'queued') {
    const viaService = message.ingress?.api === 'twilio' && message.ingress.messagingServiceSid;
    // A Messaging Service accepts first and picks the sender later.
    return viaService && message.message.channel === 'sms' && !message.message.from ? 'accepted' : 'queued';
  }
  // No receipt by the deadline: Twilio leaves such a message `sent`.
  return CALLBACK_STATUS[message.status] ?? 'sent';
}

/**
 * Twilio's numeric error code for a failure: a provider that is Twilio gave its own (21610, 30003…);
 * any other failure is Twilio's 30008 "Unknown error".
 */
export function twilioErrorCode(code: string | undefined, status: DeliveryStatus): number | null {
  if (code && /^[23]\d{4}$/.test(code)) return Number(code);
  return status === 'failed' || status === 'undelivered' || status === 'expired' ? 30008 : null;
}

/** Twilio's price: what the message cost, negative (a debit), in the provider's currency. */
function price(message: StoredMessage): { price: string | null; price_unit: string } {
  const cost = message.cost;
  if (!cost) return { price: null, price_unit: 'USD' };
  return { price: cost.amount.startsWith('-') ? cost.amount : `-${cost.amount}`, price_unit: cost.currency };
}

/** The latest failure's code: the dispatch's, else the receipt's that set the status. */
function failureCode(message: StoredMessage, events: readonly EventRecord[]): string | undefined {
  if (message.error?.code) return message.error.code;
  const last = [...events].reverse().find((event) => event.status === message.status);
  const error = last?.detail?.error as { code?: unknown } | undefined;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/** The message as Twilio's Message resource (the JSON of `POST …/Messages.json` and its `GET`). */
export function twilioMessageResource(message: StoredMessage, events: readonly EventRecord[] = []) {
  if (message.message.channel !== 'sms' || message.ingress?.api !== 'twilio') {
    throw new Error(`[msg] ${message.id} did not come in through the Twilio API`);
  }
  const { accountSid, messagingServiceSid } = message.ingress;
  const sid = twilioSid(message.id);
  const base = `/${TWILIO_API_VERSION}/Accounts/${accountSid}/Messages/${sid}`;
  const status = twilioResourceStatus(message);
  const errorCode =
    status === 'failed' || status === 'undelivered' ? failureCode(message, events) : undefined;
  return {
    account_sid: accountSid,
    api_version: TWILIO_API_VERSION,
    body: message.message.text,
    date_created: twilioDate(message.createdAt),
    date_sent: message.sentAt === undefined ? null : twilioDate(message.sentAt),
    date_updated: twilioDate(message.updatedAt),
    direction: 'outbound-api',
    error_code:
      status === 'failed' || status === 'undelivered' ? twilioErrorCode(errorCode, message.status) : null,
    error_message: null,
    from: message.message.from ?? null,
    messaging_service_sid: messagingServiceSid ?? null,
    num_media: '0',
    num_segments: String(message.segments ?? countSmsSegments(message.message.text).segments),
    ...price(message),
    sid,
    status,
    subresource_uris: { media: `${base}/Media.json`, feedback: `${base}/Feedback.json` },
    to: message.message.to,
    uri: `${base}.json`,
  };
}
