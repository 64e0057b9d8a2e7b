import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest } from '@msg/core';

export interface ReceivedWebhook extends WebhookRequest {
  path: string;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Resolves once `count` requests have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/** A loopback server that records whatever a simulator calls back with, for tests. */
export async function webhookReceiver(options: { status?: number } = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let notify: (() => void) | undefined;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    received.push({
      method: request.method ?? 'POST',
      url: `${url}${request.url ?? '/'}`,
      path: request.url ?? '/',
      headers,
      rawBody: new Uint8Array(Buffer.concat(chunks)),
      remoteAddress: request.socket.remoteAddress,
    });
    response.writeHead(options.status ?? 200).end();
    notify?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} webhooks, got ${received.length}`)),
          timeoutMs,
        );
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            notify = undefined;
            resolve(received.slice(0, count));
          }
        };
        notify = check;
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
