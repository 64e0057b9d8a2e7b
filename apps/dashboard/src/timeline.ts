import type { MessageDetail } from './api-types.js';

export interface TimelineItem {
  at: number;
  kind: 'accepted' | 'attempt' | 'outcome' | 'receipt';
  tone: 'neutral' | 'good' | 'bad' | 'warn';
  text: string;
}

const GOOD = new Set(['delivered', 'opened', 'clicked']);
const BAD = new Set(['failed', 'undelivered', 'expired', 'bounced', 'rejected', 'complained']);

/** A message's history in time order: accepted, each attempt's start and end, each receipt. */
export function timelineOf(message: MessageDetail): TimelineItem[] {
  const items: TimelineItem[] = [
    { at: Date.parse(message.createdAt), kind: 'accepted', tone: 'neutral', text: 'Accepted by the gateway' },
  ];
  for (const attempt of message.attempts) {
    items.push({
      at: Date.parse(attempt.startedAt),
      kind: 'attempt',
      tone: 'neutral',
      text: `Attempt ${attempt.number} to ${attempt.provider}`,
    });
    if (attempt.finishedAt) {
      const error = attempt.error
        ? `: ${attempt.error.kind}${attempt.error.code ? ` ${attempt.error.code}` : ''}`
        : '';
      items.push({
        at: Date.parse(attempt.finishedAt),
        kind: 'outcome',
        tone: attempt.outcome === 'succeeded' ? 'good' : attempt.outcome === 'skipped' ? 'warn' : 'bad',
        text: `${attempt.provider} ${attempt.outcome}${error}`,
      });
    }
  }
  for (const event of message.events) {
    items.push({
      at: Date.parse(event.occurredAt),
      kind: 'receipt',
      tone: GOOD.has(event.status) ? 'good' : BAD.has(event.status) ? 'bad' : 'neutral',
      text: `Receipt from ${event.provider}: ${event.status}${
        event.providerStatus && event.providerStatus !== event.status ? ` (${event.providerStatus})` : ''
      }`,
    });
  }
  // Stable: items of one time keep the order they happened in.
  return items
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => Number.isFinite(item.at))
    .sort((left, right) => left.item.at - right.item.at || left.index - right.index)
    .map(({ item }) => item);
}
