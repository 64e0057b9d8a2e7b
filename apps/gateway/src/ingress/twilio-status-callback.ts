import { createHash, createHmac } from 'node:crypto';
import type { StatusChange } from '../callbacks/callback-body.js';
import type { CallbackRequest, StoredMessage } from '../store/message-store.js';
import type { MessageIngress } from './message-ingress.js';
import { TWILIO_API_VERSION, twilioCallbackStatus, twilioErrorCode, twilioSid } from './twilio-resource.js';

/** `RawDlrDoneDate`: when the handset's receipt was made, `YYMMDDhhmm` in UTC. */
function rawDlrDoneDate(time: number): string {
  const iso = new Date(time).toISOString();
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

/**
 * A status change as Twilio posts it to a message's `StatusCallback`: a form with the fields an
 * application reads (`MessageSid`, `MessageStatus`, `ErrorCode`, …). Nothing for a change Twilio
 * has no word for (`queued`, the gateway's `unknown`).
 */
export function twilioStatusCallback(
  message: StoredMessage,
  ingress: Extract<MessageIngress, { api: 'twilio' }>,
  change: StatusChange,
): CallbackRequest | undefined {
  const status = twilioCallbackStatus(change.status);
  if (!status || !message.callbackUrl || message.message.channel !== 'sms') return undefined;
  const sid = twilioSid(message.id);
  const params = new URLSearchParams({
    ApiVersion: TWILIO_API_VERSION,
    AccountSid: ingress.accountSid,
    SmsSid: sid,
    SmsStatus: status,
    MessageSid: sid,
    MessageStatus: status,
    To: message.message.to,
  });
  if (message.message.from) params.set('From', message.message.from);
  if (ingress.messagingServiceSid) params.set('MessagingServiceSid', ingress.messagingServiceSid);
  const errorCode = twilioErrorCode(change.error?.code, change.status);
  if (errorCode !== null) params.set('ErrorCode', String(errorCode));
  if (status === 'delivered' || status === 'undelivered') {
    params.set('RawDlrDoneDate', rawDlrDoneDate(change.occurredAt));
  }
  return {
    url: message.callbackUrl,
    body: params.toString(),
    format: { kind: 'twilio', accountSid: ingress.accountSid },
  };
}

/**
 * `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, the URL as given + every POST parameter's
 * name and value, sorted by name)), what `twilio.validateRequest` recomputes.
 */
export function twilioSignature(authToken: string, url: string, body: string): string {
  const entries = [...new URLSearchParams(body)].sort(([left, leftValue], [right, rightValue]) =>
    left === right ? (leftValue < rightValue ? -1 : 1) : left < right ? -1 : 1,
  );
  const data = entries.reduce((text, [name, value]) => text + name + value, url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** The headers Twilio's status callbacks carry; the idempotency token is the same on every retry. */
export function twilioCallbackHeaders(
  authToken: string,
  callback: { messageId: string; sequence: number; url: string; body: string },
): Record<string, string> {
  const token = createHash('sha256').update(`${callback.messageId}:${callback.sequence}`).digest('hex');
  return {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    'user-agent': 'TwilioProxy/1.1',
    'i-twilio-idempotency-token': token.slice(0, 32),
    'x-twilio-signature': twilioSignature(authToken, callback.url, callback.body),
  };
}
