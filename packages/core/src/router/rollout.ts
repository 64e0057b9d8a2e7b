import { murmur3, stableBucket } from '../hash.js';
import type { Message } from '../message.js';
import type { MigrationSide, StickyKey } from './config.js';

/**
 * Sticky percentage rollout, as Unleash does it: a recipient's bucket is a murmur3 hash of the
 * migration's seed and the recipient, so it is the same on every instance; the recipient is on the
 * `to` side when its bucket is below the percentage, so raising the percentage only ever moves
 * recipients from `from` to `to`, never back.
 */

export const ROLLOUT_BUCKETS = 100;

const scratch = new Uint8Array(256);

/**
 * `stableBucket(seed + ':' + key, 100)`, computed without `TextEncoder`: encoding costs more than
 * the hash itself, and an ASCII string's UTF-8 bytes are its char codes, so those go straight into
 * a reused buffer. Anything else takes the encoder; the bucket is the same either way.
 */
export function rolloutBucket(seed: string, key: string): number {
  const text = `${seed}:${key}`;
  const length = text.length;
  if (length <= scratch.length) {
    let ascii = true;
    for (let index = 0; index < length; index++) {
      const code = text.charCodeAt(index);
      if (code > 0x7f) {
        ascii = false;
        break;
      }
      scratch[index] = code;
    }
    if (ascii) return murmur3(scratch.subarray(0, length)) % ROLLOUT_BUCKETS;
  }
  return stableBucket(text, ROLLOUT_BUCKETS);
}

export function rolloutSide(bucket: number, percentage: number): MigrationSide {
  return bucket < percentage ? 'to' : 'from';
}

/** The recipient's E.164 number, for channels that address a phone number (SMS, WhatsApp). */
export function phoneNumberOf(message: Message): string | undefined {
  return message.channel === 'email' ? undefined : message.to;
}

/** The message's recipient as routing sees it: the E.164 number, or the first email address. */
export function recipientOf(message: Message): string {
  if (message.channel === 'email') return message.to[0]?.email.toLowerCase() ?? '';
  return message.to;
}

/** The sender the message names; a WhatsApp message has none (the instance's number sends). */
export function senderOf(message: Message): string | undefined {
  if (message.channel === 'sms') return message.from;
  if (message.channel === 'email') return message.from.email.toLowerCase();
  return undefined;
}

/**
 * The value a migration hashes. A missing sender or metadata value falls back to the recipient,
 * so that every message still lands on a stable side.
 */
export function stickyKeyOf(message: Message, stickyBy: StickyKey): { key: string; by: StickyKey } {
  if (stickyBy === 'message-id') return { key: message.id, by: stickyBy };
  if (stickyBy === 'sender') {
    const sender = senderOf(message);
    if (sender) return { key: sender, by: stickyBy };
  } else if (stickyBy !== 'recipient') {
    const value = message.metadata?.[stickyBy.slice('metadata.'.length)];
    if (value) return { key: value, by: stickyBy };
  }
  return { key: recipientOf(message), by: 'recipient' };
}
