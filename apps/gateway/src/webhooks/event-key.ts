import { createHash } from 'node:crypto';
import type { DeliveryEvent } from '@msg/core';

/**
 * De-duplication key of a delivery event: the provider's event id when it gives one, otherwise a
 * hash of what makes the event itself (a replayed callback hashes the same).
 */
export function eventKey(providerId: string, event: DeliveryEvent): string {
  if (event.eventId) return `${providerId}:${event.eventId}`;
  const identity = [
    providerId,
    event.providerMessageId,
    event.status,
    event.providerStatus,
    event.occurredAt.getTime(),
  ];
  return `${providerId}:sha256:${createHash('sha256').update(JSON.stringify(identity)).digest('base64url')}`;
}
