import { createHash } from 'node:crypto';
import type { DeliveryStatus } from '@msg/core';
import type { StatusChange } from '../callbacks/callback-body.js';
import type { CallbackRequest, StoredMessage } from '../store/message-store.js';
import type { MessageIngress } from './message-ingress.js';
import { sgMessageId } from './sendgrid-activity.js';

/**
 * Our statuses as SendGrid's event words. `failed` means no provider took the message, which
 * SendGrid calls `dropped`; `undelivered` and `expired` mean the receiving side refused or it gave
 * up, a `bounce`. The gateway's `unknown` has no word: no event.
 */
const EVENT_OF: Partial<Record<DeliveryStatus, string>> = {
  queued: 'processed',
  sent: 'processed',
  delivered: 'delivered',
  bounced: 'bounce',
  undelivered: 'bounce',
  expired: 'bounce',
  failed: 'dropped',
  complained: 'spamreport',
  opened: 'open',
  clicked: 'click',
};

const ENHANCED_STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

function eventWord(change: StatusChange): string | undefined {
  // A provider's `deferred` arrives as `sent`: SendGrid keeps its own word for it.
  if (change.status === 'sent' && change.providerStatus === 'deferred') return 'deferred';
  return EVENT_OF[change.status];
}

function recipients(message: StoredMessage): string[] {
  const email = message.message;
  if (email.channel !== 'email') return [];
  return [...email.to, ...(email.cc ?? []), ...(email.bcc ?? [])].map((address) => address.email);
}

/** What SendGrid adds to each event word: the bounce's type and SMTP status, a drop's reason… */
function detailsOf(event: string, change: StatusChange): Record<string, string> {
  const code = change.error?.code;
  const reason = change.error?.message;
  if (event === 'bounce') {
    return {
      // A transient refusal is what SendGrid reports as `blocked`.
      type: change.bounceType === 'transient' ? 'blocked' : 'bounce',
      ...(code && ENHANCED_STATUS.test(code) ? { status: code } : {}),
      reason: reason ?? change.providerStatus ?? change.status,
    };
  }
  if (event === 'dropped') return { reason: reason ?? 'not sent' };
  if (event === 'deferred') return { response: reason ?? 'deferred', attempt: '1' };
  return {};
}

/**
 * A status change as SendGrid's Event Webhook posts it: a JSON array with one event per recipient
 * (the one a receipt names, else each of the message's), the request's `custom_args` as top-level
 * keys, its categories as `category`, and `sg_message_id` starting with the `X-Message-Id` the
 * send was answered with.
 */
export function sendgridEventCallback(
  message: StoredMessage,
  ingress: Extract<MessageIngress, { api: 'sendgrid' }>,
  change: StatusChange,
): CallbackRequest | undefined {
  const event = eventWord(change);
  const all = recipients(message);
  const emails = change.recipient ? [change.recipient] : all;
  if (!event || !message.callbackUrl || emails.length === 0) return undefined;
  const tags = message.message.tags ?? [];
  const timestamp = Math.floor(change.occurredAt / 1000);
  const events = emails.map((email) => ({
    ...message.message.metadata,
    email,
    timestamp,
    event,
    ...detailsOf(event, change),
    'smtp-id': `<${ingress.xMessageId}@msg-gateway>`,
    // Stable for a change and a recipient: a callback sent again carries the same ids.
    sg_event_id: createHash('sha256')
      .update(`${message.id}\n${email}\n${event}\n${change.occurredAt}\n${change.providerStatus ?? ''}`)
      .digest('base64url')
      .slice(0, 22),
    // One per recipient of the message, as SendGrid's.
    sg_message_id: sgMessageId(ingress.xMessageId, message.id, Math.max(0, all.indexOf(email))),
    ...(tags.length === 1 ? { category: tags[0] } : tags.length > 1 ? { category: [...tags] } : {}),
  }));
  return { url: message.callbackUrl, body: JSON.stringify(events), format: { kind: 'sendgrid' } };
}
