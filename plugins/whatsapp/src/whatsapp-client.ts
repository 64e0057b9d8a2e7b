import { type HttpAnswer, networkError } from '@msg/core';
import { Pool } from 'undici';

export interface WhatsAppClientSettings {
  provider: string;
  baseUrl: string;
  graphVersion: string;
  phoneNumberId: string;
  accessToken: string;
  connections: number;
}

/**
 * One keep-alive undici `Pool` per provider instance, holding the instance's token, Graph host and
 * version. Meta's own Node SDK is archived and read its settings from `process.env` (one account
 * per process, https on port 443 only); the community libraries take no abort signal but through a
 * fetch wrapper. The Cloud API is one JSON POST: a client of our own takes the caller's signal and
 * keeps nothing outside the instance.
 */
export class WhatsAppClient {
  private readonly pool: Pool;
  private readonly messagesPath: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly settings: WhatsAppClientSettings) {
    const url = new URL(settings.baseUrl);
    const prefix = url.pathname.replace(/\/+$/, '');
    this.messagesPath = `${prefix}/${settings.graphVersion}/${settings.phoneNumberId}/messages`;
    this.pool = new Pool(url.origin, { connections: settings.connections, keepAliveTimeout: 30_000 });
    this.headers = {
      authorization: `Bearer ${settings.accessToken}`,
      accept: 'application/json',
      'content-type': 'application/json',
    };
  }

  /** POSTs a message; network failures and aborts become `ProviderError`s (ambiguous once sent). */
  async sendMessage(body: unknown, signal: AbortSignal): Promise<HttpAnswer> {
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: this.messagesPath,
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
