import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import {
  type DeliveryEvent,
  type DeliveryStatus,
  ValidationError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';
import type { SendgridEvent } from './sendgrid-api-types.js';
import { MESSAGE_ID_ARGUMENT } from './sendgrid-request.js';

export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * SendGrid event word -> normalised status. `blocked` is a `bounce` event with `type: "blocked"`
 * (the receiving server refused this time): it keeps its own word as `providerStatus`.
 */
export const SENDGRID_STATUS_MAP = {
  processed: 'queued',
  // Deferred: the receiving server asked SendGrid to try later; the message is still in flight.
  deferred: 'sent',
  delivered: 'delivered',
  bounce: 'bounced',
  blocked: 'bounced',
  dropped: 'failed',
  open: 'opened',
  click: 'clicked',
  spamreport: 'complained',
} as const satisfies Record<string, DeliveryStatus>;

/**
 * List-management events, not delivery outcomes: mapping them to `complained` would count every
 * unsubscribe as a spam complaint (and skew complaint-rate safeguards), so they yield no event.
 */
export const SENDGRID_IGNORED_EVENTS: readonly string[] = [
  'unsubscribe',
  'group_unsubscribe',
  'group_resubscribe',
];

/** Reads the verification key as SendGrid shows it (base64 SPKI DER), or PEM; it must be P-256. */
export function parseVerificationKey(key: string): KeyObject {
  const text = key.trim();
  const publicKey = text.startsWith('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
  if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the webhook verification key must be an ECDSA P-256 public key');
  }
  return publicKey;
}

/** ECDSA P-256 / SHA-256 over the timestamp header followed by the exact body bytes. */
export function verifyEventSignature(input: {
  publicKey: KeyObject;
  signature: string;
  timestamp: string;
  rawBody: Uint8Array;
}): boolean {
  const signed = Buffer.concat([Buffer.from(input.timestamp, 'utf8'), input.rawBody]);
  try {
    return verify('sha256', signed, input.publicKey, Buffer.from(input.signature, 'base64'));
  } catch {
    // A signature that is not DER at all.
    return false;
  }
}

export interface WebhookVerificationSettings {
  publicKey: KeyObject | undefined;
  /** Oldest timestamp accepted, in seconds; 0 turns the check off. */
  maxAgeSeconds: number;
  now(): number;
}

/** Throws `WebhookVerificationError` unless the request is signed by this account and fresh. */
export function verifyEventWebhook(
  provider: string,
  request: WebhookRequest,
  settings: WebhookVerificationSettings,
): void {
  if (!settings.publicKey) {
    throw new WebhookVerificationError(
      provider,
      'no webhookVerificationKey is configured; enable the Signed Event Webhook and set its key',
    );
  }
  const signature = request.headers[SIGNATURE_HEADER];
  const timestamp = request.headers[TIMESTAMP_HEADER];
  if (!signature || !timestamp) throw new WebhookVerificationError(provider, 'missing signature headers');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError(provider, 'malformed timestamp header');
  if (settings.maxAgeSeconds > 0) {
    const ageSeconds = Math.abs(settings.now() / 1000 - Number(timestamp));
    if (ageSeconds > settings.maxAgeSeconds) {
      throw new WebhookVerificationError(
        provider,
        `timestamp is ${Math.round(ageSeconds)} s away from now (limit ${settings.maxAgeSeconds} s)`,
      );
    }
  }
  if (
    !verifyEventSignature({ publicKey: settings.publicKey, signature, timestamp, rawBody: request.rawBody })
  ) {
    throw new WebhookVerificationError(provider, 'signature does not match');
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function toDeliveryEvent(event: SendgridEvent): DeliveryEvent | undefined {
  const word = event.event === 'bounce' && event.type === 'blocked' ? 'blocked' : event.event;
  const status = SENDGRID_STATUS_MAP[word as keyof typeof SENDGRID_STATUS_MAP] as DeliveryStatus | undefined;
  if (!status) return undefined;
  const sgMessageId = text(event.sg_message_id);
  const messageId = text(event[MESSAGE_ID_ARGUMENT]);
  // sg_message_id is `<X-Message-Id>.<suffix>`; the X-Message-Id is what send() returned.
  const providerMessageId = sgMessageId?.split('.')[0] ?? '';
  if (!providerMessageId && !messageId) return undefined;
  const details: Record<string, string> = {};
  for (const key of ['sg_message_id', 'url', 'attempt', 'bounce_classification', 'smtp-id'] as const) {
    const value = event[key];
    if (typeof value === 'string' || typeof value === 'number') details[key] = String(value);
  }
  let error: DeliveryEvent['error'];
  if (event.event === 'bounce') error = { code: text(event.status) ?? word, message: text(event.reason) };
  if (word === 'dropped') error = { code: 'dropped', message: text(event.reason) };
  if (word === 'deferred') error = { code: 'deferred', message: text(event.response) };
  return {
    providerMessageId,
    messageId,
    status,
    providerStatus: word,
    occurredAt: new Date(typeof event.timestamp === 'number' ? event.timestamp * 1000 : Date.now()),
    recipient: text(event.email),
    eventId: text(event.sg_event_id),
    bounceType: word === 'bounce' ? 'permanent' : word === 'blocked' ? 'transient' : undefined,
    error,
    details: Object.keys(details).length > 0 ? details : undefined,
  };
}

/** The delivery events in a verified Event Webhook body (a JSON array). */
export function parseEventBody(rawBody: Uint8Array): DeliveryEvent[] {
  let events: unknown;
  try {
    events = JSON.parse(Buffer.from(rawBody).toString('utf8'));
  } catch {
    events = undefined;
  }
  if (!Array.isArray(events)) {
    throw new ValidationError([{ path: '', message: 'the body must be a JSON array of events' }], {
      subject: '[msg] [plugin-sendgrid] event webhook',
    });
  }
  const result: DeliveryEvent[] = [];
  for (const event of events) {
    if (typeof event !== 'object' || event === null) continue;
    const delivery = toDeliveryEvent(event as SendgridEvent);
    if (delivery) result.push(delivery);
  }
  return result;
}
