import type { ProviderError } from '@msg/core';
import { type MtnTokenResponse, TOKEN_PATH } from './mtn-api-types.js';
import type { MtnClient } from './mtn-client.js';
import { abortedBeforeSendError, tokenHttpError, tokenNetworkError } from './mtn-error.js';

export interface MtnTokenSettings {
  provider: string;
  client: MtnClient;
  clientId: string;
  clientSecret: string;
  /** Refresh this long before the token expires (capped at half its lifetime). */
  refreshMarginSeconds: number;
  /** Longest a token request may take; it is shared by every waiting send. */
  timeoutMs: number;
  now(): number;
}

interface CachedToken {
  value: string;
  refreshAt: number;
}

/** Used when the answer carries no readable `expires_in`. */
const FALLBACK_LIFETIME_SECONDS = 300;

/** `"3599"` or `3599` -> seconds; undefined for anything else. */
export function parseExpiresIn(value: unknown): number | undefined {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * The instance's OAuth2 client-credentials token: cached, refreshed `refreshMarginSeconds`
 * before it expires, and fetched once for any number of concurrent sends (single flight). The
 * shared request runs under its own timeout, not a caller's signal, so one send giving up does
 * not fail the others; a caller that aborts stops waiting.
 */
export class MtnTokenCache {
  /** Requests made, for health detail and tests. */
  fetches = 0;
  private cached: CachedToken | undefined;
  private inFlight: Promise<CachedToken> | undefined;
  private readonly closing = new AbortController();
  private readonly headers: Record<string, string>;
  private readonly path = `${TOKEN_PATH}?grant_type=client_credentials`;
  private readonly form: string;

  constructor(private readonly settings: MtnTokenSettings) {
    this.headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    this.form = new URLSearchParams({
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
    }).toString();
  }

  /** The cached token while it is fresh: the send path's fast lane, no promise. */
  current(): string | undefined {
    const cached = this.cached;
    return cached && this.settings.now() < cached.refreshAt ? cached.value : undefined;
  }

  /** A fresh token, fetching one (shared) when needed. Rejects with a `ProviderError`. */
  async get(signal: AbortSignal): Promise<string> {
    const fresh = this.current();
    if (fresh !== undefined) return fresh;
    if (signal.aborted) throw abortedBeforeSendError(this.settings.provider, signal);
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return (await waitUnlessAborted(this.inFlight, signal, this.settings.provider)).value;
  }

  /** Drops `value` if it is still the cached token (a 401 said it is no longer valid). */
  invalidate(value: string): void {
    if (this.cached?.value === value) this.cached = undefined;
  }

  close(): void {
    this.closing.abort(new Error('provider closed'));
  }

  private async fetch(): Promise<CachedToken> {
    const { provider, now } = this.settings;
    const requestedAt = now();
    this.fetches += 1;
    let answer: Awaited<ReturnType<MtnClient['request']>>;
    try {
      answer = await this.settings.client.request({
        method: 'POST',
        path: this.path,
        headers: this.headers,
        body: this.form,
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.settings.timeoutMs)]),
      });
    } catch (error) {
      throw tokenNetworkError(error, provider);
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw tokenHttpError(answer.status, answer.headers, answer.body, provider, now());
    }
    let token: Partial<MtnTokenResponse>;
    try {
      token = JSON.parse(answer.body) as Partial<MtnTokenResponse>;
    } catch {
      token = {};
    }
    if (typeof token.access_token !== 'string' || token.access_token.length === 0) {
      throw tokenHttpError(answer.status, answer.headers, answer.body, provider, now());
    }
    const lifetime = parseExpiresIn(token.expires_in) ?? FALLBACK_LIFETIME_SECONDS;
    const margin = Math.min(this.settings.refreshMarginSeconds, lifetime / 2);
    const cached = { value: token.access_token, refreshAt: requestedAt + (lifetime - margin) * 1000 };
    this.cached = cached;
    return cached;
  }
}

/** `promise`, unless `signal` aborts first: then a transient "nothing sent" error. */
export function waitUnlessAborted<T>(promise: Promise<T>, signal: AbortSignal, provider: string): Promise<T> {
  return new Promise<T>((resolve, reject: (error: ProviderError | unknown) => void) => {
    // Attached first, so a shared promise that later rejects is never left unhandled.
    const onAbort = () => reject(abortedBeforeSendError(provider, signal));
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
