import type { SmsMessage } from '@msg/core';

/** Messages that go out in one request: same text, same sender, distinct contacts. */
export interface ContactChunk {
  text: string;
  senderId: string;
  contacts: string[];
  /** Position of each contact's message in the batch. */
  indexes: number[];
}

/**
 * Groups a batch by (text, sender) and splits each group into chunks of at most `perRequest`
 * contacts; a number appears once per chunk (a repeat goes to the next chunk).
 */
export function chunkByContent(
  messages: readonly SmsMessage[],
  contacts: readonly (string | undefined)[],
  defaultSenderId: string,
  perRequest: number,
): ContactChunk[] {
  const groups = new Map<string, ContactChunk[]>();
  const ordered: ContactChunk[] = [];
  messages.forEach((message, index) => {
    const contact = contacts[index];
    if (contact === undefined) return;
    const senderId = message.from ?? defaultSenderId;
    const key = JSON.stringify([message.text, senderId]);
    let chunks = groups.get(key);
    if (!chunks) {
      chunks = [];
      groups.set(key, chunks);
    }
    let chunk = chunks.find(
      (candidate) => candidate.contacts.length < perRequest && !candidate.contacts.includes(contact),
    );
    if (!chunk) {
      chunk = { text: message.text, senderId, contacts: [], indexes: [] };
      chunks.push(chunk);
      ordered.push(chunk);
    }
    chunk.contacts.push(contact);
    chunk.indexes.push(index);
  });
  return ordered;
}
