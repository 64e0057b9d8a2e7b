import type { DeliveryStatus } from '@msg/core';
import type { CallbackRequest, StoredMessage } from '../store/message-store.js';

export interface StatusChange {
  status: DeliveryStatus;
  provider?: string | undefined;
  providerMessageId?: string | undefined;
  providerStatus?: string | undefined;
  error?: { kind?: string | undefined; code?: string | undefined; message?: string | undefined } | undefined;
  occurredAt: number;
}

/** The body of a status callback (`type: "message.status"`), or nothing when the message has no callback URL. */
export function statusCallback(
  message: Pick<StoredMessage, 'id' | 'callbackUrl'>,
  change: StatusChange,
): CallbackRequest | undefined {
  if (!message.callbackUrl) return undefined;
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

/**
 * The body with the message's callback number after `id` (`{ type, id, sequence, ... }`): stores
 * call it as they queue a callback, since only they know the message's next number.
 */
export function withSequence(body: string, sequence: number): string {
  const { type, id, ...rest } = JSON.parse(body) as Record<string, unknown>;
  return JSON.stringify({ type, id, sequence, ...rest });
}
