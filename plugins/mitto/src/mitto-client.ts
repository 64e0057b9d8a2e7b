import type { IncomingHttpHeaders } from 'node:http';
import { networkError } from '@msg/core';
import { Pool } from 'undici';
import { API_KEY_HEADER } from './mitto-api-types.js';

export interface MittoAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface MittoClientSettings {
  provider: string;
  baseUrl: string;
  apiKey: string;
  connections: number;
}

/**
 * One keep-alive undici `Pool` per provider instance, with the instance's key and host. There is
 * no usable npm client for Mitto (`mitto-rest-client` is unpublished), and the API is two JSON
 * POSTs with one header: a client of our own takes the caller's AbortSignal and keeps no state
 * outside the instance.
 */
export class MittoClient {
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly settings: MittoClientSettings) {
    const url = new URL(settings.baseUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: settings.connections, keepAliveTimeout: 30_000 });
    this.headers = {
      [API_KEY_HEADER]: settings.apiKey,
      accept: 'application/json',
      'content-type': 'application/json',
    };
  }

  /** POSTs JSON; network failures and aborts become `ProviderError`s (ambiguous once sent). */
  async postJson(path: string, body: unknown, signal: AbortSignal): Promise<MittoAnswer> {
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: this.pathPrefix + path,
        headers: this.headers,
        body: JSON.stringify(body),
        signal,
      });
      return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
    } catch (error) {
      throw networkError(error, this.settings.provider, signal);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
