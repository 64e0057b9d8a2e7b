import type { Backlog } from '../store/message-store.js';

export interface BacklogLimits {
  /** Messages waiting in the queue. */
  maxMessages: number;
  /** Age of the oldest of them. */
  maxAgeMs: number;
}

export type Admission =
  | { admitted: true }
  | {
      admitted: false;
      /** 503: the gateway as a whole is behind; 429: this key holds more than its share of the queue. */
      status: 429 | 503;
      code: 'backlogged' | 'backlog_share';
      message: string;
      retryAfterSeconds: number;
    };

/** Past this share of `maxMessages`, a key above its fair share is refused before the others. */
const FAIR_SHARE_FROM = 0.5;

/**
 * Seconds until the backlog is back under nine tenths of the bound that was passed, at the rate
 * messages leave it; between 1 and 60 (5 when nothing has left it lately).
 */
function drainSeconds(excess: number, deliveredPerSecond: number): number {
  if (deliveredPerSecond <= 0) return 5;
  return Math.min(60, Math.max(1, Math.ceil(excess / deliveredPerSecond)));
}

/**
 * Whether `count` more messages of `apiKeyId` may join the queue. Past `maxMessages` or
 * `maxAgeMs`, no one's (the gateway is behind: 503). Past half of `maxMessages`, not those of a key
 * that already holds more than its fair share, the bound divided among the keys with messages
 * waiting (429): a key flooding the queue is refused while the others are still served. Without
 * `apiKeyId`, only the global bounds are checked (readiness).
 */
export function admit(
  backlog: Backlog,
  limits: BacklogLimits,
  request: { apiKeyId?: string | undefined; count: number; now: number; deliveredPerSecond: number },
): Admission {
  const { apiKeyId, count, now, deliveredPerSecond } = request;
  const ageMs = backlog.oldestQueuedAt === undefined ? 0 : now - backlog.oldestQueuedAt;
  if (ageMs > limits.maxAgeMs) {
    return {
      admitted: false,
      status: 503,
      code: 'backlogged',
      message: `the oldest queued message has waited ${Math.round(ageMs / 1000)} s, over dispatch.backlog.maxAgeMs (${limits.maxAgeMs} ms)`,
      retryAfterSeconds: drainSeconds(backlog.queued * 0.1, deliveredPerSecond),
    };
  }
  if (backlog.queued + count > limits.maxMessages) {
    return {
      admitted: false,
      status: 503,
      code: 'backlogged',
      message: `${backlog.queued} messages are queued, at dispatch.backlog.maxMessages (${limits.maxMessages})`,
      retryAfterSeconds: drainSeconds(backlog.queued - limits.maxMessages * 0.9, deliveredPerSecond),
    };
  }
  if (apiKeyId === undefined || backlog.queued + count <= limits.maxMessages * FAIR_SHARE_FROM) {
    return { admitted: true };
  }
  const own = backlog.byApiKey[apiKeyId] ?? 0;
  const keys = Object.keys(backlog.byApiKey).length + (own === 0 ? 1 : 0);
  const share = Math.floor(limits.maxMessages / keys);
  if (keys > 1 && own + count > share) {
    return {
      admitted: false,
      status: 429,
      code: 'backlog_share',
      message: `this key has ${own} messages queued, over its share (${share}) of a backlog of ${backlog.queued}`,
      retryAfterSeconds: drainSeconds(own - share * 0.9, deliveredPerSecond * (own / backlog.queued)),
    };
  }
  return { admitted: true };
}
