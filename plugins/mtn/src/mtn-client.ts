import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

export interface MtnAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface MtnRequest {
  method: 'GET' | 'POST';
  /** Path and query below the base URL. */
  path: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal;
}

/**
 * One keep-alive undici `Pool` per provider instance. MTN publishes no SDK for the SMS v3 API on
 * npm, so the plugin speaks HTTP itself; network errors are left to the caller to classify (a lost
 * token request and a lost send mean different things).
 */
export class MtnClient {
  private readonly pool: Pool;
  private readonly pathPrefix: string;

  constructor(baseUrl: string, connections: number) {
    const url = new URL(baseUrl);
    // A base URL may carry a path (a proxy in front of the API); requests go below it.
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections, keepAliveTimeout: 30_000 });
  }

  async request(request: MtnRequest): Promise<MtnAnswer> {
    const response = await this.pool.request({
      method: request.method,
      path: this.pathPrefix + request.path,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
    });
    return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The first value of a header that undici may give as a list. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
