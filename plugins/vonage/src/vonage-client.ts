import type { IncomingHttpHeaders } from 'node:http';
import { networkError } from '@msg/core';
import { Pool } from 'undici';

export interface VonageAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface VonageClientSettings {
  provider: string;
  /** Origin (and optional path prefix) of one Vonage host. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  connections: number;
}

/**
 * One keep-alive undici `Pool` per Vonage host and provider instance. The official SDK
 * (`@vonage/sms` on `@vonage/server-client`) posts through `node-fetch` with a signal of its own,
 * armed only by its `timeout` option: a caller's AbortSignal cannot cancel a send, so the router's
 * deadline could not stop it. Credentials go in a Basic header, never in a URL or an error.
 */
export class VonageClient {
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly authorization: string;

  constructor(private readonly settings: VonageClientSettings) {
    const url = new URL(settings.baseUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: settings.connections, keepAliveTimeout: 30_000 });
    this.authorization = `Basic ${Buffer.from(`${settings.apiKey}:${settings.apiSecret}`).toString('base64')}`;
  }

  postJson(path: string, body: unknown, signal: AbortSignal): Promise<VonageAnswer> {
    return this.call('POST', path, JSON.stringify(body), signal);
  }

  get(path: string, query: URLSearchParams, signal: AbortSignal): Promise<VonageAnswer> {
    return this.call('GET', `${path}?${query.toString()}`, undefined, signal);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<VonageAnswer> {
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await this.pool.request({
        method,
        path: this.pathPrefix + path,
        headers,
        body,
        signal,
      });
      return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
    } catch (error) {
      throw networkError(error, this.settings.provider, signal);
    }
  }
}
