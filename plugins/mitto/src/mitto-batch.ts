import type { SmsMessage } from '@msg/core';
import type { MittoBulkMessage, MittoTextType } from './mitto-api-types.js';

/** Messages that go out in one bulk request: same text, sender and encoding. */
export interface BulkChunk {
  text: string;
  from: string;
  type: MittoTextType;
  messages: SmsMessage[];
  /** Each message's position in the batch, so results come back in order. */
  indexes: number[];
}

/** E.164 digits without `+`, as Mitto takes and answers numbers. */
export function recipientDigits(number: string): string {
  return number.replace(/[\s().+-]/g, '');
}

/** Groups sendable messages by (text, sender, type), in chunks of at most `maxRecipients`. */
export function chunkBulk(
  items: ReadonlyArray<{ message: SmsMessage; index: number; from: string; type: MittoTextType }>,
  maxRecipients: number,
): BulkChunk[] {
  const open = new Map<string, BulkChunk>();
  const chunks: BulkChunk[] = [];
  for (const { message, index, from, type } of items) {
    const key = JSON.stringify([message.text, from, type]);
    let chunk = open.get(key);
    if (!chunk || chunk.messages.length >= maxRecipients) {
      chunk = { text: message.text, from, type, messages: [], indexes: [] };
      open.set(key, chunk);
      chunks.push(chunk);
    }
    chunk.messages.push(message);
    chunk.indexes.push(index);
  }
  return chunks;
}

/**
 * Pairs each message of a chunk with its entry in the bulk answer. A number listed twice gets two
 * entries (one message each), so entries are taken per number in answer order.
 */
export function matchBulkAnswer(
  messages: readonly SmsMessage[],
  answered: readonly MittoBulkMessage[],
): Array<MittoBulkMessage | undefined> {
  const queues = new Map<string, MittoBulkMessage[]>();
  for (const entry of answered) {
    const key = recipientDigits(String(entry.to ?? ''));
    queues.set(key, [...(queues.get(key) ?? []), entry]);
  }
  return messages.map((message) => queues.get(recipientDigits(message.to))?.shift());
}
