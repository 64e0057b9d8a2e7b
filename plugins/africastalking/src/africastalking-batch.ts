import type { SmsMessage } from '@msg/core';

/** Messages that go out in one request: same text, same sender, distinct recipients. */
export interface RecipientChunk {
  text: string;
  from: string | undefined;
  messages: SmsMessage[];
  /** Position of each message in the batch, so results come back in order. */
  indexes: number[];
}

/** Digits only, so `+254711000001` and `254711000001` find each other. */
export function recipientKey(number: string): string {
  return number.replace(/\D/g, '');
}

/**
 * Groups a batch by (text, sender) and splits each group into chunks of at most `maxRecipients`.
 * A number appears once per chunk: the answer identifies recipients by number, so a repeat goes
 * to the next chunk.
 */
export function chunkBatch(
  messages: readonly SmsMessage[],
  defaultFrom: string | undefined,
  maxRecipients: number,
): RecipientChunk[] {
  const groups = new Map<string, { chunks: Array<RecipientChunk & { numbers: Set<string> }> }>();
  const ordered: Array<RecipientChunk & { numbers: Set<string> }> = [];
  messages.forEach((message, index) => {
    const from = message.from ?? defaultFrom;
    const key = JSON.stringify([message.text, from ?? null]);
    let group = groups.get(key);
    if (!group) {
      group = { chunks: [] };
      groups.set(key, group);
    }
    const number = recipientKey(message.to);
    let chunk = group.chunks.find(
      (candidate) => candidate.messages.length < maxRecipients && !candidate.numbers.has(number),
    );
    if (!chunk) {
      chunk = { text: message.text, from, messages: [], indexes: [], numbers: new Set() };
      group.chunks.push(chunk);
      ordered.push(chunk);
    }
    chunk.messages.push(message);
    chunk.indexes.push(index);
    chunk.numbers.add(number);
  });
  return ordered.map(({ numbers: _numbers, ...chunk }) => chunk);
}
