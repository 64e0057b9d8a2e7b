import type { BounceType, DeliveryStatus } from '@msg/core';
import { sendgridEventCallback } from '../ingress/sendgrid-events.js';
import { twilioStatusCallback } from '../ingress/twilio-status-callback.js';
import { CANCELLED_ERROR_CODE, CANCELLED_ERROR_MESSAGE } from '../store/campaign-rows.js';
import type { CallbackRequest, StoredMessage } from '../store/message-store.js';

export interface StatusChange {
  status: DeliveryStatus;
  provider?: string | undefined;
  providerMessageId?: string | undefined;
  providerStatus?: string | undefined;
  error?: { kind?: string | undefined; code?: string | undefined; message?: string | undefined } | undefined;
  occurredAt: number;
  /** The recipient a receipt is about (email events name one); the whole message when absent. */
  recipient?: string | undefined;
  bounceType?: BounceType | undefined;
}

/**
 * The status callback of a change, or nothing when the message has no callback URL: the
 * gateway's JSON (`type: "message.status"`), or the format of the provider API the message came in
 * through (which may have no word for the change: then nothing).
 */
export function statusCallback(message: StoredMessage, change: StatusChange): CallbackRequest | undefined {
  if (!message.callbackUrl) return undefined;
  if (message.ingress?.api === 'twilio') return twilioStatusCallback(message, message.ingress, change);
  if (message.ingress?.api === 'sendgrid') return sendgridEventCallback(message, message.ingress, change);
  return {
    url: message.callbackUrl,
    body: JSON.stringify({
      type: 'message.status',
      id: message.id,
      status: change.status,
      provider: change.provider,
      providerMessageId: change.providerMessageId,
      providerStatus: change.providerStatus,
      error: change.error,
      occurredAt: new Date(change.occurredAt).toISOString(),
    }),
  };
}

/** The final callback of a campaign message cancelled before it was sent: failed, and why. */
export function cancelledCallback(message: StoredMessage, now: number): CallbackRequest | undefined {
  return statusCallback(message, {
    status: 'failed',
    error: { kind: 'routing', code: CANCELLED_ERROR_CODE, message: CANCELLED_ERROR_MESSAGE },
    occurredAt: now,
  });
}

/**
 * The body with the message's callback number after `id` (`{ type, id, sequence, ... }`): stores
 * call it as they queue a callback, since only they know the message's next number.
 */
export function withSequence(body: string, sequence: number): string {
  const { type, id, ...rest } = JSON.parse(body) as Record<string, unknown>;
  return JSON.stringify({ type, id, sequence, ...rest });
}
