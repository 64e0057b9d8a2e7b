import type { Message } from '@msg/core';

/** An email address as the recipient index keeps it: case does not tell two mailboxes apart here. */
export const emailRecipient = (address: string) => address.trim().toLowerCase();

/**
 * The keys a message is found by in the recipient index: its `to` number as stored (E.164), or
 * each of its `to` addresses. Copies and blind copies are not indexed: they are not whom the
 * message was for.
 */
export function recipientsOf(message: Message): string[] {
  const to = (message as { to: unknown }).to;
  if (typeof to === 'string') return [to];
  if (!Array.isArray(to)) return [];
  const keys = to
    .map((address) => (address as { email?: unknown }).email)
    .filter((email): email is string => typeof email === 'string')
    .map(emailRecipient);
  return [...new Set(keys)];
}
