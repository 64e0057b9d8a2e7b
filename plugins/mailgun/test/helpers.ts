import type { EmailMessage, WebhookRequest } from '@msg/core';
import type { MailgunEventData } from '../src/mailgun-api-types.js';
import { mailgunEventData, type SignOptions, signMailgunWebhook } from '../src/simulator.js';

export const ACCOUNT_A = {
  apiKey: 'key-account-a-0123456789abcdef',
  signingKey: 'signing-key-account-a',
  domains: ['mg.acme.example'],
};
export const ACCOUNT_B = {
  apiKey: 'key-account-b-fedcba9876543210',
  signingKey: 'signing-key-account-b',
  domains: ['mg.other.example'],
};

export function emailMessage(id: string, overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    id,
    channel: 'email',
    from: { email: 'news@mg.acme.example', name: 'Acme News' },
    to: [{ email: 'alice@example.com', name: 'Alice' }],
    subject: 'Hello',
    text: 'Hello Alice',
    ...overrides,
  };
}

/** A webhook request as the host would hand it to `parseWebhook`. */
export function webhookRequest(
  body: unknown,
  url = 'https://gateway.example/webhooks/mailgun-main',
): WebhookRequest {
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    rawBody: new TextEncoder().encode(JSON.stringify(body)),
  };
}

export interface SignedEventInput {
  event: string;
  messageId?: string;
  severity?: 'permanent' | 'temporary';
  reason?: string;
  userVariables?: Record<string, string>;
  deliveryStatus?: MailgunEventData['delivery-status'];
  timestampMs?: number;
}

export function signedEvent(
  signingKey: string,
  input: SignedEventInput,
  sign: SignOptions = {},
): WebhookRequest {
  const eventData = mailgunEventData({
    event: input.event,
    messageId: input.messageId ?? '20240101120000.1.ABC@mg.acme.example',
    recipient: 'alice@example.com',
    timestampMs: input.timestampMs ?? Date.now(),
    severity: input.severity,
    reason: input.reason,
    userVariables: input.userVariables,
    deliveryStatus: input.deliveryStatus,
  });
  return webhookRequest(signMailgunWebhook(eventData, signingKey, sign));
}
