import type { IncomingHttpHeaders } from 'node:http';
import { networkError } from '@msg/core';
import { Pool } from 'undici';
import { redactPath } from './zamtel-api-types.js';

export interface ZamtelClientSettings {
  provider: string;
  baseUrl: string;
  method: 'GET' | 'POST';
  connections: number;
}

export interface ZamtelHttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const HEADERS = { accept: 'application/json' };

/** One keep-alive undici `Pool` per provider instance; the caller's signal cancels each request. */
export class ZamtelClient {
  private readonly pool: Pool;
  /** A base URL may carry a path (a proxy in front of the API); requests go below it. */
  readonly pathPrefix: string;

  constructor(private readonly settings: ZamtelClientSettings) {
    const url = new URL(settings.baseUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: settings.connections, keepAliveTimeout: 30_000 });
  }

  /** The request as errors and logs may show it: method and path with the key redacted. */
  describe(path: string): string {
    return `${this.settings.method} ${redactPath(path)}`;
  }

  async request(path: string, signal: AbortSignal): Promise<ZamtelHttpAnswer> {
    try {
      const response = await this.pool.request({
        method: this.settings.method,
        path,
        headers: HEADERS,
        signal,
      });
      return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
    } catch (error) {
      // undici's errors do not carry the path, but the cause chain is kept out of the message anyway.
      throw networkError(error, this.settings.provider, signal);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
