import {
  type BounceType,
  type DeliveryEvent,
  type DeliveryStatus,
  ValidationError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';
import type { ResendWebhookEvent } from './resend-api-types.js';
import { MESSAGE_ID_TAG } from './resend-request.js';
import { ID_HEADERS, SIGNATURE_HEADERS, signatureMatches, TIMESTAMP_HEADERS } from './resend-signature.js';

/**
 * Resend event type -> normalised status. `email.delivery_delayed` keeps the message `sent` (still
 * trying); `email.bounced` is `bounced`, or `unknown` when the bounce type is Undetermined;
 * `email.suppressed` (the address is on the suppression list) is a permanent `failed`.
 */
export const RESEND_STATUS_MAP = {
  'email.scheduled': 'queued',
  'email.sent': 'sent',
  'email.delivery_delayed': 'sent',
  'email.delivered': 'delivered',
  'email.bounced': 'bounced',
  'email.complained': 'complained',
  'email.opened': 'opened',
  'email.clicked': 'clicked',
  'email.failed': 'failed',
  'email.suppressed': 'failed',
} as const satisfies Record<string, DeliveryStatus>;

export interface WebhookVerificationSettings {
  /** HMAC keys of the configured `whsec_` secrets (several while rotating). */
  keys: readonly Buffer[];
  /** Largest distance between the signed timestamp and now, in seconds. */
  toleranceSeconds: number;
  now(): number;
}

function firstHeader(request: WebhookRequest, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = request.headers[name];
    if (value) return value;
  }
  return undefined;
}

/** Throws `WebhookVerificationError` unless the request carries a fresh signature by one of the keys. */
export function verifyResendWebhook(
  provider: string,
  request: WebhookRequest,
  settings: WebhookVerificationSettings,
): void {
  if (settings.keys.length === 0) {
    throw new WebhookVerificationError(
      provider,
      'no webhookSecret is configured; copy the signing secret of the Resend webhook',
    );
  }
  const id = firstHeader(request, ID_HEADERS);
  const timestamp = firstHeader(request, TIMESTAMP_HEADERS);
  const header = firstHeader(request, SIGNATURE_HEADERS);
  if (!id || !timestamp || !header)
    throw new WebhookVerificationError(provider, 'missing svix-id, svix-timestamp or svix-signature');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError(provider, 'malformed svix-timestamp');
  const distance = Math.abs(settings.now() / 1000 - Number(timestamp));
  if (distance > settings.toleranceSeconds) {
    throw new WebhookVerificationError(
      provider,
      `svix-timestamp is ${Math.round(distance)} s away from now (limit ${settings.toleranceSeconds} s)`,
    );
  }
  if (!signatureMatches({ keys: settings.keys, id, timestamp, rawBody: request.rawBody, header })) {
    throw new WebhookVerificationError(provider, 'signature does not match');
  }
}

function date(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

function bounceTypeOf(type: string | undefined): BounceType | undefined {
  if (type === 'Permanent') return 'permanent';
  if (type === 'Transient') return 'transient';
  return undefined;
}

/**
 * The delivery event in a verified webhook body (one event per post). Events that are not about
 * a sent email (`email.received`, contacts, domains) give none.
 */
export function parseWebhookBody(
  rawBody: Uint8Array,
  eventId: string | undefined,
  now: number,
): DeliveryEvent[] {
  let event: ResendWebhookEvent;
  try {
    event = JSON.parse(Buffer.from(rawBody).toString('utf8')) as ResendWebhookEvent;
  } catch {
    throw new ValidationError([{ path: '', message: 'the body must be a JSON webhook event' }], {
      subject: '[msg] [plugin-resend] webhook',
    });
  }
  const mapped = RESEND_STATUS_MAP[event?.type as keyof typeof RESEND_STATUS_MAP] as
    | DeliveryStatus
    | undefined;
  const data = event.data;
  if (!mapped || !data?.email_id) return [];
  const bounceType = event.type === 'email.bounced' ? bounceTypeOf(data.bounce?.type) : undefined;
  // Undetermined: Resend could not tell whether the address is bad.
  const status: DeliveryStatus = event.type === 'email.bounced' && !bounceType ? 'unknown' : mapped;
  let error: DeliveryEvent['error'];
  if (data.bounce)
    error = { code: data.bounce.subType ?? data.bounce.type ?? 'bounce', message: data.bounce.message };
  if (data.failed) error = { code: 'failed', message: data.failed.reason };
  if (data.suppressed)
    error = { code: data.suppressed.type ?? 'suppressed', message: data.suppressed.message };
  const details: Record<string, string> = {};
  if (data.click?.link) details.link = data.click.link;
  if (data.message_id) details.messageIdHeader = data.message_id;
  if (data.bounce?.type) details.bounceType = data.bounce.type;
  return [
    {
      providerMessageId: data.email_id,
      messageId: data.tags?.[MESSAGE_ID_TAG],
      status,
      providerStatus: event.type,
      occurredAt: date(data.click?.timestamp) ?? date(event.created_at) ?? new Date(now),
      recipient: data.to?.length === 1 ? data.to[0] : undefined,
      eventId,
      bounceType,
      error,
      details: Object.keys(details).length > 0 ? details : undefined,
    },
  ];
}

/** The svix-id of a request (Svix's id for the event, the same on every retry). */
export function webhookEventId(request: WebhookRequest): string | undefined {
  return firstHeader(request, ID_HEADERS);
}
