import {
  type DeliveryEvent,
  type DeliveryStatus,
  readWebhookFields,
  urlTokenGuard,
  ValidationError,
  type WebhookRequest,
  type WebhookResult,
} from '@msg/core';
import { BULK_REFERENCE_PREFIX, MITTO_STATUS_MAP, RECEIPT_FIELDS } from './mitto-receipt-contract.js';

/** The query parameter of the receipt URL that carries the instance's secret token. */
export const WEBHOOK_TOKEN_PARAMETER = 'token';

export interface MittoWebhookSettings {
  provider: string;
  /** Secret expected as `?token=` on the receipt URL; without it every report is refused. */
  webhookToken?: string | undefined;
  allowedIps?: readonly string[] | undefined;
  now(): number;
}

const SUBJECT = 'Mitto delivery report';

function field(fields: Record<string, string>, names: readonly string[]): string | undefined {
  for (const name of names) if (fields[name]) return fields[name];
  return undefined;
}

export function mittoStatus(word: string): DeliveryStatus {
  return (MITTO_STATUS_MAP as Record<string, DeliveryStatus>)[word.toLowerCase()] ?? 'unknown';
}

/**
 * Verifies and parses Mitto delivery reports on the assumed contract (`mitto-receipt-contract.ts`).
 * Mitto signs nothing: a report is trusted when its URL carries the instance's secret token and,
 * with an allow-list, comes from a listed address.
 */
export function createWebhookParser(settings: MittoWebhookSettings) {
  const verify = urlTokenGuard({
    provider: settings.provider,
    token: settings.webhookToken,
    parameter: WEBHOOK_TOKEN_PARAMETER,
    allowedIps: settings.allowedIps,
  });

  return function parseWebhook(request: WebhookRequest): WebhookResult {
    verify(request);
    const fields = readWebhookFields(request, { subject: SUBJECT, exclude: [WEBHOOK_TOKEN_PARAMETER] });
    const id = field(fields, RECEIPT_FIELDS.id);
    const word = field(fields, RECEIPT_FIELDS.status);
    if (!id || !word) {
      throw new ValidationError([{ path: id ? 'status' : 'messageId', message: 'is required' }], {
        subject: SUBJECT,
      });
    }
    const status = mittoStatus(word);
    const errorCode = field(fields, RECEIPT_FIELDS.errorCode);
    const reference = field(fields, RECEIPT_FIELDS.reference);
    const bulk = reference?.startsWith(BULK_REFERENCE_PREFIX) ?? false;
    const timestamp = Date.parse(field(fields, RECEIPT_FIELDS.timestamp) ?? '');
    const details: Record<string, string> = {};
    if (bulk) details.bulkReference = reference as string;
    const event: DeliveryEvent = {
      providerMessageId: id,
      // A bulk reference names the whole bulk, not one of our messages.
      messageId: bulk ? undefined : reference,
      status,
      providerStatus: word,
      occurredAt: Number.isNaN(timestamp) ? new Date(settings.now()) : new Date(timestamp),
      recipient: field(fields, RECEIPT_FIELDS.recipient),
      eventId: `${id}:${word.toLowerCase()}:${errorCode ?? ''}`,
      error: errorCode && errorCode !== '0' ? { code: errorCode } : undefined,
      details: Object.keys(details).length > 0 ? details : undefined,
    };
    return { events: [event] };
  };
}
