import type { EmailMessage, WebhookRequest } from '@msg/core';
import type { SnsDelivery } from '../src/simulator.js';

export const WEBHOOK_URL = 'https://gateway.example.com/webhooks/ses-main';

/** What the host hands `parseWebhook` for an SNS delivery. */
export function webhookRequest(delivery: Pick<SnsDelivery, 'headers' | 'body'>): WebhookRequest {
  return {
    method: 'POST',
    url: WEBHOOK_URL,
    headers: delivery.headers,
    rawBody: Buffer.from(delivery.body, 'utf8'),
  };
}

/** The same request with its JSON body changed by `edit` (after signing). */
export function editBody(
  request: WebhookRequest,
  edit: (body: Record<string, unknown>) => void,
): WebhookRequest {
  const body = JSON.parse(Buffer.from(request.rawBody).toString('utf8')) as Record<string, unknown>;
  edit(body);
  return { ...request, rawBody: Buffer.from(JSON.stringify(body), 'utf8') };
}

export function email(id: string, overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    channel: 'email',
    id,
    from: { email: 'sender@example.com', name: 'Sender' },
    to: [{ email: 'recipient@example.com' }],
    subject: 'Hello',
    text: 'Hello there',
    ...overrides,
  };
}
