import { createHash } from 'node:crypto';
import type { MessageRequestBody } from '../http/message-request.js';
import type { MessageIngress } from './message-ingress.js';
import { TwilioApiError } from './twilio-errors.js';

const MAX_IDEMPOTENCY_TOKEN = 200;

/**
 * The parameters of `POST …/Messages.json` as a gateway message, refused in Twilio's order and
 * words where Twilio would refuse them. Parameters with no meaning here (`ValidityPeriod`,
 * `MaxPrice`, `ProvideFeedback`, `SmartEncoded`, …) are ignored, as Twilio ignores unknown ones;
 * those whose effect the gateway cannot give (media, content templates, scheduling) are refused
 * rather than sent as something else.
 */
export function twilioMessageRequest(
  form: URLSearchParams,
  accountSid: string,
): { body: MessageRequestBody; ingress: MessageIngress } {
  const to = form.get('To');
  const from = form.get('From');
  const service = form.get('MessagingServiceSid');
  const text = form.get('Body');
  const callback = form.get('StatusCallback');
  if (!to) throw new TwilioApiError(400, 21604, "A 'To' phone number is required.");
  if (form.has('MediaUrl')) {
    throw new TwilioApiError(400, 21620, 'Invalid media URL(s): this gateway sends SMS only, not MMS media.');
  }
  if (form.has('ContentSid')) {
    throw new TwilioApiError(
      400,
      21655,
      'The ContentSid is Invalid: this gateway does not render Content Templates.',
    );
  }
  if (form.has('SendAt') || form.has('ScheduleType')) {
    throw new TwilioApiError(
      400,
      35115,
      'Scheduling does not support this timestamp: this gateway sends at once.',
    );
  }
  if (!from && !service) throw new TwilioApiError(400, 21603, "A 'From' phone number is required.");
  if (!text) throw new TwilioApiError(400, 21602, 'Message body is required.');
  return {
    body: {
      channel: 'sms',
      to,
      text,
      // With only a Messaging Service, the route's provider sends from its own configured sender.
      ...(from ? { from } : {}),
      ...(callback ? { callbackUrl: callback } : {}),
    },
    ingress: { api: 'twilio', accountSid, ...(service ? { messagingServiceSid: service } : {}) },
  };
}

/**
 * `I-Twilio-Idempotency-Token` as the store's idempotency key, in its own namespace (the same
 * key's `/v1` `Idempotency-Key`s never meet it), with the fingerprint of what it covers.
 */
export function twilioIdempotency(
  token: string,
  accountSid: string,
  form: URLSearchParams,
): { key: string; requestHash: string } {
  const key =
    token.length <= MAX_IDEMPOTENCY_TOKEN
      ? `twilio:${token}`
      : `twilio:sha256:${createHash('sha256').update(token).digest('hex')}`;
  const entries = [...form].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  const requestHash = createHash('sha256')
    .update(JSON.stringify([accountSid, entries]))
    .digest('base64url');
  return { key, requestHash };
}
