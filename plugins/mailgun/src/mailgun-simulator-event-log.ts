import { jsonResponse, type SimulatorRequest, type SimulatorResponse } from '@msg/testing';
import type { MailgunEventData } from './mailgun-api-types.js';

/** Mailgun's page size when `limit` is absent, and the most it returns in one page. */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 300;

/** The filters of `GET /v3/{domain}/events` the simulator honours. */
interface EventsQuery {
  messageId?: string | undefined;
  recipient?: string | undefined;
  event?: string | undefined;
  /** Epoch seconds. */
  begin?: number | undefined;
  end?: number | undefined;
  ascending: boolean;
  limit: number;
  /** Position in the result, carried by the page URLs. */
  offset: number;
}

function stripBrackets(id: string): string {
  return id.replace(/^<(.*)>$/, '$1');
}

function epochSeconds(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const number = Number(value);
  if (Number.isFinite(number)) return number;
  // Mailgun takes RFC 2822 dates too.
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? Number.NaN : parsed / 1000;
}

function readQuery(parameters: URLSearchParams): EventsQuery | string {
  const limit = parameters.has('limit') ? Number(parameters.get('limit')) : DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return `limit: must be an integer between 1 and ${MAX_LIMIT}`;
  }
  const begin = epochSeconds(parameters.get('begin'));
  const end = epochSeconds(parameters.get('end'));
  if (Number.isNaN(begin) || Number.isNaN(end))
    return 'begin and end: must be epoch seconds or RFC 2822 dates';
  const ascendingValue = parameters.get('ascending');
  if (ascendingValue !== null && ascendingValue !== 'yes' && ascendingValue !== 'no') {
    return 'ascending: must be yes or no';
  }
  const messageId = parameters.get('message-id');
  return {
    messageId: messageId === null ? undefined : stripBrackets(messageId),
    recipient: parameters.get('recipient') ?? undefined,
    event: parameters.get('event') ?? undefined,
    begin,
    end,
    // Without an end, Mailgun reads forwards from `begin`; otherwise newest first.
    ascending: ascendingValue ? ascendingValue === 'yes' : begin !== undefined && end === undefined,
    limit,
    offset: Number(parameters.get('offset') ?? 0),
  };
}

/**
 * The events a simulator's messages went through, kept per sending domain and served the way
 * Mailgun's Events API serves them: filtered by `message-id`, `recipient`, `event` and time range,
 * paged with `paging.next` URLs. An event is listed once its time has come. Bounded: the oldest
 * events are forgotten first.
 */
export class MailgunEventLog {
  private readonly events = new Map<string, MailgunEventData[]>();
  private size = 0;

  constructor(
    private readonly now: () => number,
    private readonly capacity = 100_000,
  ) {}

  add(domain: string, event: MailgunEventData): void {
    const list = this.events.get(domain) ?? [];
    list.push(event);
    this.events.set(domain, list);
    if (++this.size > this.capacity) this.dropOldest();
  }

  /** `GET /v3/{domain}/events` and its page URLs (`/v3/{domain}/events/{page}`). */
  respond(request: SimulatorRequest, origin: string): SimulatorResponse {
    const domain = request.params.domain ?? '';
    let parameters = request.query;
    // A page URL carries the first request's query, with the position reached.
    if (request.params.page) {
      parameters = new URLSearchParams(Buffer.from(request.params.page, 'base64url').toString('utf8'));
    }
    const query = readQuery(parameters);
    if (typeof query === 'string') return jsonResponse(400, { message: query });
    const nowSeconds = this.now() / 1000;
    const matching = (this.events.get(domain) ?? [])
      .filter(
        (event) =>
          event.timestamp <= nowSeconds &&
          (query.messageId === undefined || event.message?.headers?.['message-id'] === query.messageId) &&
          (query.recipient === undefined || event.recipient === query.recipient) &&
          (query.event === undefined || event.event === query.event) &&
          (query.begin === undefined || event.timestamp >= query.begin) &&
          (query.end === undefined || event.timestamp <= query.end),
      )
      .sort((left, right) =>
        query.ascending ? left.timestamp - right.timestamp : right.timestamp - left.timestamp,
      );
    const items = matching.slice(query.offset, query.offset + query.limit);
    const pageUrl = (offset: number) => {
      const next = new URLSearchParams(parameters);
      next.set('offset', String(offset));
      return `${origin}/v3/${domain}/events/${Buffer.from(next.toString()).toString('base64url')}`;
    };
    return jsonResponse(200, {
      items,
      paging: {
        first: pageUrl(0),
        last: pageUrl(Math.max(0, matching.length - query.limit)),
        next: pageUrl(query.offset + items.length),
        previous: pageUrl(Math.max(0, query.offset - query.limit)),
      },
    });
  }

  private dropOldest(): void {
    let oldest: { domain: string; timestamp: number } | undefined;
    for (const [domain, list] of this.events) {
      const first = list[0];
      if (first && (!oldest || first.timestamp < oldest.timestamp))
        oldest = { domain, timestamp: first.timestamp };
    }
    if (!oldest) return;
    this.events.get(oldest.domain)?.shift();
    this.size--;
  }
}
