import type { DeliveryEvent, StatusQuery } from '@msg/core';
import type { MailgunEventData } from './mailgun-api-types.js';
import { toDeliveryEvent } from './mailgun-webhook.js';

/** The most events one page of the Events API holds. */
export const EVENTS_PAGE_LIMIT = 300;
/** Pages read for one message at most: a batch of 1000 recipients shares one message id. */
const MAX_PAGES = 20;
/** Events are searched from a little before the send, for clocks that disagree. */
const CLOCK_SKEW_SECONDS = 300;

/** `GET` through the SDK's request layer: a path (with query) in, the parsed JSON body out. */
export type MailgunGet = (path: string, searchParams?: string[][]) => Promise<unknown>;

interface EventsPage {
  items?: MailgunEventData[];
  paging?: { next?: string };
}

/**
 * One message's events from Mailgun's Events API (`GET /v3/{domain}/events?message-id=`), oldest
 * first, mapped exactly as its webhooks are. A batch send shares one message id among its
 * recipients, so only the events that carry our message id (or none) are kept.
 */
export async function mailgunMessageEvents(
  get: MailgunGet,
  domain: string,
  query: StatusQuery,
): Promise<DeliveryEvent[]> {
  const events: DeliveryEvent[] = [];
  const begin = Math.floor(query.sentAt.getTime() / 1000) - CLOCK_SKEW_SECONDS;
  let page = (await get(`/v3/${encodeURIComponent(domain)}/events`, [
    ['message-id', query.providerMessageId],
    ['begin', String(begin)],
    ['ascending', 'yes'],
    ['limit', String(EVENTS_PAGE_LIMIT)],
  ])) as EventsPage;
  for (let pages = 1; ; pages++) {
    const items = Array.isArray(page.items) ? page.items : [];
    for (const item of items) {
      const event = toDeliveryEvent(item);
      if (event && (event.messageId === undefined || event.messageId === query.messageId)) events.push(event);
    }
    const next = page.paging?.next;
    if (items.length < EVENTS_PAGE_LIMIT || !next || pages >= MAX_PAGES) return events;
    const nextUrl = new URL(next);
    page = (await get(nextUrl.pathname + nextUrl.search)) as EventsPage;
  }
}
