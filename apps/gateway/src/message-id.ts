import { randomUUID } from 'node:crypto';

/**
 * A new message id, `msg_` and 32 hex digits: a UUIDv7 (RFC 9562), whose first 48 bits are the
 * time in milliseconds, so ids sort by creation time and new rows land at the end of the store's
 * B-trees instead of on random pages (random ids slowed writes as the store grew). Clients treat
 * it as opaque. The random bits come from `randomUUID`, which draws them from a cached pool.
 */
export function newMessageId(now: number): string {
  const random = randomUUID().replaceAll('-', '');
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
  // The version nibble (7) replaces v4's; v4 already set the variant bits (10xx).
  return `msg_${time}7${random.slice(13)}`;
}
