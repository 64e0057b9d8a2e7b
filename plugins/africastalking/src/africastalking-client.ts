import type { IncomingHttpHeaders } from 'node:http';
import { networkError } from '@msg/core';
import { Pool } from 'undici';

export interface AfricasTalkingClientSettings {
  provider: string;
  baseUrl: string;
  apiKey: string;
  /** Most sockets this instance keeps open to the API host. */
  connections: number;
}

export interface AfricasTalkingAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One keep-alive undici `Pool` per provider instance, with the instance's key and host.
 * The official SDK keeps the API URL in a process-wide module (`lib/common.js`) and posts through
 * the global axios instance without a signal, so two accounts cannot have two hosts and an abort
 * cannot cancel a request: this client replaces it for the one endpoint the plugin needs.
 */
export class AfricasTalkingClient {
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly headers: Record<string, string>;
  private readonly formHeaders: Record<string, string>;

  constructor(private readonly settings: AfricasTalkingClientSettings) {
    const url = new URL(settings.baseUrl);
    // A base URL may carry a path (a proxy in front of the API); requests go below it.
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: settings.connections,
      keepAliveTimeout: 30_000,
    });
    this.headers = { apikey: settings.apiKey, accept: 'application/json' };
    this.formHeaders = { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' };
  }

  /** POSTs a form; network failures and aborts become `ProviderError`s (ambiguous once sent). */
  postForm(path: string, form: URLSearchParams, signal: AbortSignal): Promise<AfricasTalkingAnswer> {
    return this.call('POST', path, form.toString(), signal);
  }

  get(path: string, query: URLSearchParams, signal: AbortSignal): Promise<AfricasTalkingAnswer> {
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
  ): Promise<AfricasTalkingAnswer> {
    try {
      const response = await this.pool.request({
        method,
        path: this.pathPrefix + path,
        headers: body === undefined ? this.headers : this.formHeaders,
        body,
        signal,
      });
      return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
    } catch (error) {
      throw networkError(error, this.settings.provider, signal);
    }
  }
}
