import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyConfig } from '../config/config-schema.js';
import { readCookie } from './cookies.js';
import { HttpError } from './http-error.js';
import { csrfMatches, type Session, type Sessions } from './sessions.js';

export type Scope = 'send' | 'read' | 'monitor' | 'admin';

export interface Principal {
  keyId: string;
  scopes: ReadonlySet<Scope>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Token buckets shared by the gateway instances (`@msg/state-redis`); `undefined` when unreachable. */
export interface SharedRateLimiter {
  takeTokens(
    key: string,
    count: number,
    limit: { perSecond: number; burst: number },
  ): Promise<{ taken: boolean; tokens: number } | undefined>;
}

export interface KeyEntry {
  config: ApiKeyConfig;
  digest: Buffer;
  /** Of `accountSid:authToken`, when the key has Twilio ingress. */
  twilioDigest: Buffer | undefined;
  scopes: ReadonlySet<Scope>;
  tokens: number;
  refilledAt: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The dashboard's session cookie; the API takes it instead of a key. */
export const SESSION_COOKIE = 'msg_session';
/** Where a cookie-authenticated request that changes something carries the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
/** Requests that change nothing: they need no CSRF token. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * API keys with scopes and a per-key rate limit (token bucket, `rateLimitPerMinute`). The presented
 * key is hashed and compared with every configured key in constant time, so neither the timing nor
 * an early exit tells how much of a key matched.
 */
export class ApiKeys {
  private readonly keys: KeyEntry[];

  constructor(
    keys: readonly ApiKeyConfig[],
    private readonly now: () => number = Date.now,
    /** Dashboard sessions, which the API takes instead of a key; none: keys only. */
    readonly sessions?: Sessions,
    /** A bucket per key shared by every gateway instance (Redis); this process's own without it. */
    private readonly shared?: SharedRateLimiter,
  ) {
    this.keys = keys.map((config) => ({
      config,
      digest: digest(config.key),
      twilioDigest: config.ingress?.twilio
        ? digest(`${config.ingress.twilio.accountSid}:${config.ingress.twilio.authToken}`)
        : undefined,
      // `admin` implies the others: an operator key can do what a client key can.
      scopes: new Set<Scope>(
        config.scopes.includes('admin')
          ? ['send', 'read', 'monitor', 'admin']
          : config.scopes.includes('monitor')
            ? ['read', ...config.scopes]
            : config.scopes,
      ),
      tokens: config.rateLimitPerMinute,
      refilledAt: now(),
    }));
  }

  authenticate(presented: string | undefined): KeyEntry | undefined {
    if (!presented) return undefined;
    const given = digest(presented);
    let found: KeyEntry | undefined;
    for (const entry of this.keys) {
      if (timingSafeEqual(given, entry.digest)) found = entry;
    }
    return found;
  }

  /** The key whose Twilio ingress account and auth token these are (Basic auth), compared like keys. */
  authenticateTwilio(accountSid: string, authToken: string): KeyEntry | undefined {
    const given = digest(`${accountSid}:${authToken}`);
    let found: KeyEntry | undefined;
    for (const entry of this.keys) {
      if (entry.twilioDigest && timingSafeEqual(given, entry.twilioDigest)) found = entry;
    }
    return found;
  }

  /**
   * Takes `count` tokens from the key's bucket, the fleet's when one is shared (this process's own
   * while it cannot be reached); returns the seconds to wait when the bucket is short.
   */
  async takeTokens(entry: KeyEntry, count: number): Promise<number | undefined> {
    if (this.shared) {
      const perMinute = entry.config.rateLimitPerMinute;
      const result = await this.shared.takeTokens(`api-key:${entry.config.id}`, count, {
        perSecond: perMinute / 60,
        burst: perMinute,
      });
      if (result) {
        return result.taken ? undefined : Math.max(1, Math.ceil(((count - result.tokens) / perMinute) * 60));
      }
    }
    return this.take(entry, count);
  }

  /** Takes `count` tokens from this process's bucket; returns the seconds to wait when it is short. */
  take(entry: KeyEntry, count: number): number | undefined {
    const perMinute = entry.config.rateLimitPerMinute;
    const now = this.now();
    entry.tokens = Math.min(perMinute, entry.tokens + ((now - entry.refilledAt) / 60_000) * perMinute);
    entry.refilledAt = now;
    if (entry.tokens >= count) {
      entry.tokens -= count;
      return undefined;
    }
    return Math.max(1, Math.ceil(((count - entry.tokens) / perMinute) * 60));
  }

  /** Takes more tokens for a request that carries several messages (a batch). */
  async takeFor(keyId: string, count: number): Promise<number | undefined> {
    const entry = this.keys.find((candidate) => candidate.config.id === keyId);
    return entry && count > 0 ? this.takeTokens(entry, count) : undefined;
  }

  /** The dashboard session a request's cookie names, if it is live. */
  async sessionOf(request: FastifyRequest): Promise<{ id: string; session: Session } | undefined> {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = id === undefined ? undefined : await this.sessions?.get(id);
    return id !== undefined && session ? { id, session } : undefined;
  }

  /**
   * A route hook: authenticates by API key (`Authorization: Bearer`, `X-API-Key`) or, without one,
   * by the dashboard's session cookie; checks the scope and takes one token from the key's bucket.
   * A cookie travels with every request the browser makes, so a cookie-authenticated request that
   * changes something must also carry the session's CSRF token, which only the dashboard's own
   * pages can read.
   */
  require(scope: Scope) {
    return async (request: FastifyRequest, _reply: FastifyReply) => {
      const header = request.headers.authorization;
      const presented =
        typeof header === 'string' && header.startsWith('Bearer ')
          ? header.slice(7).trim()
          : (request.headers['x-api-key'] as string | undefined);
      let entry: KeyEntry | undefined;
      if (presented === undefined && header === undefined) {
        const signedIn = await this.sessionOf(request);
        if (signedIn) {
          if (
            !SAFE_METHODS.has(request.method) &&
            !csrfMatches(signedIn.session, request.headers[CSRF_HEADER])
          ) {
            throw new HttpError(
              403,
              'csrf_token_required',
              `a request authenticated by the session cookie that changes something needs the session's CSRF token in ${CSRF_HEADER}`,
            );
          }
          entry = this.keys.find((candidate) => candidate.config.id === signedIn.session.keyId);
        }
      } else {
        entry = this.authenticate(presented);
      }
      request.principal = await this.admit(entry, scope);
    };
  }

  /**
   * The principal of an authenticated key that has `scope`, taking one token of its rate limit;
   * an `HttpError` (401, 403, 429) otherwise. Every API a key is used through (`/v1`, a provider's)
   * goes through here.
   */
  async admit(entry: KeyEntry | undefined, scope: Scope): Promise<Principal> {
    if (!entry) {
      throw new HttpError(
        401,
        'unauthorized',
        'a valid API key is required (Authorization: Bearer <key>)',
        undefined,
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    if (!entry.scopes.has(scope)) {
      throw new HttpError(403, 'forbidden', `this API key lacks the "${scope}" scope`);
    }
    const wait = await this.takeTokens(entry, 1);
    if (wait !== undefined) {
      throw new HttpError(
        429,
        'rate_limited',
        `rate limit of ${entry.config.rateLimitPerMinute}/min exceeded`,
        undefined,
        {
          'retry-after': String(wait),
        },
      );
    }
    return { keyId: entry.config.id, scopes: entry.scopes };
  }
}
