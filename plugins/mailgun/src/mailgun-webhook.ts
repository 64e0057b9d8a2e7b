import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type BounceType,
  type DeliveryEvent,
  type DeliveryStatus,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';
import type { MailgunEventData, MailgunSignature, MailgunWebhookBody } from './mailgun-api-types.js';
import { MESSAGE_ID_VARIABLE } from './mailgun-message.js';

/**
 * Mailgun event (with the severity of a `failed` one) -> normalised status.
 * - `failed-temporary`: Mailgun keeps retrying, so the message is still on its way (`sent`).
 * - `unsubscribed`: the recipient used the unsubscribe link of a message they received: it was
 *   `delivered`; the opt-out stays visible as the provider status.
 */
export const MAILGUN_STATUS_MAP = {
  accepted: 'queued',
  delivered: 'delivered',
  'failed-permanent': 'bounced',
  'failed-temporary': 'sent',
  opened: 'opened',
  clicked: 'clicked',
  unsubscribed: 'delivered',
  complained: 'complained',
} as const satisfies Record<string, DeliveryStatus>;

/**
 * Permanent failures where no receiving server refused the message: Mailgun dropped it because
 * the address is on a suppression list (`failed`, no bounce happened), or gave up retrying after
 * its delivery window (`old`: `expired`).
 */
export const MAILGUN_FAILURE_REASON_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  'suppress-bounce': 'failed',
  'suppress-unsubscribe': 'failed',
  'suppress-complaint': 'failed',
  old: 'expired',
};

export interface VerifyOptions {
  signingKey: string;
  /** Freshness window; 0 disables the check. */
  maxAgeSeconds: number;
  nowMs: number;
}

function isSignature(value: unknown): value is MailgunSignature {
  const signature = value as Partial<MailgunSignature> | undefined;
  return (
    typeof signature?.timestamp === 'string' &&
    typeof signature.token === 'string' &&
    typeof signature.signature === 'string'
  );
}

/** hex(HMAC-SHA256(signingKey, timestamp + token)), compared in constant time. */
export function isValidMailgunSignature(signature: MailgunSignature, signingKey: string): boolean {
  const expected = createHmac('sha256', signingKey)
    .update(signature.timestamp + signature.token)
    .digest();
  const given = Buffer.from(signature.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Whether the configured key signed the webhook: as `signature` (the key of the account that owns
 * the domain) or as `parent-signature` (the primary account's key, on a subaccount's events).
 */
function signedWith(signature: MailgunSignature, signingKey: string): boolean {
  if (isValidMailgunSignature(signature, signingKey)) return true;
  const parent = signature['parent-signature'];
  return (
    typeof parent === 'string' && isValidMailgunSignature({ ...signature, signature: parent }, signingKey)
  );
}

/**
 * Checks the body's signature and its age; returns the parsed body. That the token is new is the
 * host's check (`WebhookResult.replayToken`): it must outlive a restart.
 */
export function verifyMailgunWebhook(
  provider: string,
  request: WebhookRequest,
  options: VerifyOptions,
): MailgunWebhookBody {
  let body: Partial<MailgunWebhookBody>;
  try {
    body = JSON.parse(Buffer.from(request.rawBody).toString('utf8')) as Partial<MailgunWebhookBody>;
  } catch {
    throw new WebhookVerificationError(provider, 'webhook body is not JSON');
  }
  const signature = body?.signature;
  if (!isSignature(signature)) throw new WebhookVerificationError(provider, 'webhook has no signature');
  if (!signedWith(signature, options.signingKey)) {
    throw new WebhookVerificationError(provider, 'webhook signature does not match');
  }
  if (options.maxAgeSeconds > 0) {
    const ageSeconds = Math.abs(options.nowMs / 1000 - Number(signature.timestamp));
    if (!(ageSeconds <= options.maxAgeSeconds)) {
      throw new WebhookVerificationError(provider, `webhook timestamp is outside ${options.maxAgeSeconds}s`);
    }
  }
  if (typeof body['event-data'] !== 'object' || body['event-data'] === null) {
    throw new WebhookVerificationError(provider, 'webhook has no event-data');
  }
  return body as MailgunWebhookBody;
}

function providerStatusOf(data: MailgunEventData): string {
  return data.event === 'failed'
    ? `failed-${data.severity === 'temporary' ? 'temporary' : 'permanent'}`
    : data.event;
}

function statusOf(data: MailgunEventData, providerStatus: string): DeliveryStatus | undefined {
  if (providerStatus === 'failed-permanent' && data.reason) {
    const byReason = MAILGUN_FAILURE_REASON_STATUS[data.reason];
    if (byReason) return byReason;
  }
  return (MAILGUN_STATUS_MAP as Record<string, DeliveryStatus>)[providerStatus];
}

function bounceTypeOf(status: DeliveryStatus, providerStatus: string): BounceType | undefined {
  if (status === 'bounced') return 'permanent';
  return providerStatus === 'failed-temporary' ? 'transient' : undefined;
}

/**
 * The normalised event, or undefined for an event type with no delivery meaning (e.g. `stored`)
 * and for an event of a message sent in test mode (`flags.is-test-mode`): shadow mode validates
 * real messages that way, and an event of theirs must never count as the message's receipt.
 */
export function toDeliveryEvent(data: MailgunEventData): DeliveryEvent | undefined {
  if (data.flags?.['is-test-mode'] === true) return undefined;
  const providerStatus = providerStatusOf(data);
  const status = statusOf(data, providerStatus);
  const messageIdValue = data['user-variables']?.[MESSAGE_ID_VARIABLE];
  const messageId = typeof messageIdValue === 'string' ? messageIdValue : undefined;
  const providerMessageId = data.message?.headers?.['message-id'];
  if (!status || (!providerMessageId && !messageId)) return undefined;
  const delivery = data['delivery-status'];
  const failed = data.event === 'failed';
  const details: Record<string, string> = {};
  if (data.reason) details.reason = data.reason;
  if (data.severity) details.severity = data.severity;
  if (data.url) details.url = data.url;
  return {
    providerMessageId: providerMessageId ?? '',
    messageId,
    status,
    providerStatus,
    occurredAt: new Date(Math.round(Number(data.timestamp) * 1000)),
    recipient: data.recipient,
    eventId: data.id,
    bounceType: bounceTypeOf(status, providerStatus),
    error: failed
      ? {
          code: delivery?.code !== undefined ? String(delivery.code) : (data.reason ?? 'failed'),
          message: delivery?.description || delivery?.message || data.reason,
        }
      : undefined,
    details: Object.keys(details).length > 0 ? details : undefined,
  };
}
