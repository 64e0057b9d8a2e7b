import { type Dispatcher, Pool } from 'undici';

/** What the Twilio SDK hands its `httpClient.request` (see twilio/lib/base/BaseTwilio.js). */
export interface TwilioSdkRequest {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  uri: string;
  username?: string | undefined;
  password?: string | undefined;
  headers?: Record<string, string> | undefined;
  params?: Record<string, unknown> | undefined;
  data?: Record<string, unknown> | undefined;
  timeout?: number | undefined;
}

/** What the SDK expects back: it parses a string body itself and throws `RestException` on non-2xx. */
export interface TwilioSdkResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Per-send state handed to the HTTP layer past the SDK's own layers (see `TwilioHttpClient.run`). */
export interface TwilioSendScope {
  signal: AbortSignal;
  /** The last answer, so a `RestException` can be read with its headers (Retry-After). */
  response?: TwilioSdkResponse | undefined;
}

/** Form encoding as the SDK's `qs.stringify(data, { arrayFormat: 'repeat' })` does it. */
export function encodeForm(data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined || value === null) continue;
    const name = encodeURIComponent(key);
    for (const item of Array.isArray(value) ? value : [value]) {
      parts.push(`${name}=${encodeURIComponent(String(item))}`);
    }
  }
  return parts.join('&');
}

/**
 * The SDK's `httpClient`: a keep-alive undici `Pool` to `baseUrl` (one per provider instance),
 * instead of the SDK's axios client, which cannot take a per-request AbortSignal. The origin the
 * SDK built (`https://api.twilio.com`) is replaced by `baseUrl`, keeping path and query.
 */
export class TwilioHttpClient {
  /** The scope of the SDK call being made now (set for the synchronous span of `run`). */
  private pending: TwilioSendScope | undefined;
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(baseUrl: string, options: { connections?: number } = {}) {
    const base = new URL(baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: options.connections ?? 64,
      keepAliveTimeout: 30_000,
    });
  }

  private authorization: { key: string; header: string } | undefined;

  /** The SDK passes the same credentials on every request: encode them once. */
  private basicAuth(username: string, password: string): string {
    const key = `${username}:${password}`;
    if (this.authorization?.key !== key) {
      this.authorization = { key, header: `Basic ${Buffer.from(key).toString('base64')}` };
    }
    return this.authorization.header;
  }

  /**
   * Runs `work` (one SDK call) with `signal` reaching the request it makes. The SDK builds its
   * request and hands it to `request` synchronously within the call (`messages.create` ->
   * `Version.create` -> `Domain.request` -> `BaseTwilio.request` -> `httpClient.request`), so
   * the call's state is set for exactly that span. An AsyncLocalStorage would carry it too, but on
   * Node 20 it turns on promise hooks for the whole process (about 5 % on every other request).
   */
  run<T>(signal: AbortSignal, work: (scope: TwilioSendScope) => Promise<T>): Promise<T> {
    const scope: TwilioSendScope = { signal };
    this.pending = scope;
    try {
      return work(scope);
    } finally {
      this.pending = undefined;
    }
  }

  async request(options: TwilioSdkRequest): Promise<TwilioSdkResponse> {
    // Read before the first await: only the call being made now owns it.
    const scope = this.pending;
    this.pending = undefined;
    const target = new URL(options.uri);
    let path = this.basePath + target.pathname + target.search;
    if (options.params) {
      const query = encodeForm(options.params);
      if (query) path += `${target.search ? '&' : '?'}${query}`;
    }
    const headers: Record<string, string> = { ...options.headers };
    if (options.username && options.password)
      headers.Authorization = this.basicAuth(options.username, options.password);
    let body: string | undefined;
    if (options.data) {
      body =
        headers['Content-Type'] === 'application/json'
          ? JSON.stringify(options.data)
          : encodeForm(options.data);
    }
    const answer = await this.pool.request({
      path,
      method: options.method.toUpperCase() as Dispatcher.HttpMethod,
      headers,
      body,
      signal: scope?.signal,
    });
    const response: TwilioSdkResponse = {
      statusCode: answer.statusCode,
      body: await answer.body.text(),
      headers: answer.headers,
    };
    if (scope) scope.response = response;
    return response;
  }

  /** Lets in-flight requests finish for up to `graceMs`, then drops whatever is left. */
  async close(graceMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
      timer.unref();
    });
    const outcome = await Promise.race([this.pool.close(), late]);
    clearTimeout(timer);
    if (outcome === 'late') await this.pool.destroy();
  }
}
