import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type DeliveryEvent,
  type DeliveryStatus,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';

export const acmeStatuses = {
  accepted: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  failed: 'failed',
  expired: 'expired',
} as const satisfies Record<string, DeliveryStatus>;

/** `acme-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` */
export function signAcme(secret: string, timestamp: number, body: string | Uint8Array): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export function verifyAcmeWebhook(
  provider: string,
  secret: string,
  request: WebhookRequest,
  options: { now: number; toleranceSeconds: number },
): DeliveryEvent {
  const header = request.headers['acme-signature'];
  if (!header) throw new WebhookVerificationError(provider, 'missing acme-signature header');
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isFinite(timestamp) || !parts.v1)
    throw new WebhookVerificationError(provider, 'malformed acme-signature');
  if (Math.abs(options.now / 1000 - timestamp) > options.toleranceSeconds) {
    throw new WebhookVerificationError(provider, 'stale webhook timestamp');
  }
  const expected = Buffer.from(signAcme(secret, timestamp, request.rawBody).split('v1=')[1] as string, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new WebhookVerificationError(provider, 'signature does not match');
  }
  const body = JSON.parse(Buffer.from(request.rawBody).toString('utf8')) as {
    id: string;
    status: keyof typeof acmeStatuses;
    reference?: string;
    timestamp: number;
    error?: string;
  };
  return {
    providerMessageId: body.id,
    messageId: body.reference,
    status: acmeStatuses[body.status] ?? 'unknown',
    providerStatus: body.status,
    occurredAt: new Date(body.timestamp * 1000),
    error: body.error ? { code: body.error } : undefined,
  };
}
