import {
  type DeliveryEvent,
  type DeliveryStatus,
  isFailureStatus,
  urlTokenGuard,
  ValidationError,
  type WebhookRequest,
  type WebhookResult,
} from '@msg/core';
import type { MtnDeliveryReport, MtnDeliveryStatus } from './mtn-api-types.js';

/** The query parameter of the subscribed delivery-report URL that carries the secret token. */
export const WEBHOOK_TOKEN_PARAMETER = 'token';

/**
 * Delivery-report `deliveryStatus` -> normalised status (GSMA OneAPI words).
 * - `DeliveryImpossible` is `undelivered`: MTN accepted the message and the network could not
 *   hand it over before giving up; `failed` is kept for refusals at send time.
 * - `MessageWaiting` is `queued`: OneAPI defines it as "still queued for delivery".
 * - `DeliveryUncertain` and `DeliveryNotificationNotSupported` are `unknown`: no final word will come.
 */
export const MTN_STATUS_MAP = {
  DeliveredToTerminal: 'delivered',
  DeliveryImpossible: 'undelivered',
  DeliveredToNetwork: 'sent',
  MessageWaiting: 'queued',
  DeliveryUncertain: 'unknown',
  Expired: 'expired',
  DeliveryNotificationNotSupported: 'unknown',
} as const satisfies Record<MtnDeliveryStatus, DeliveryStatus>;

export interface MtnWebhookSettings {
  provider: string;
  /** Secret expected as `?token=` on the delivery-report URL; without it every report is refused. */
  webhookToken: string | undefined;
  /** Addresses or CIDR blocks reports may come from; any address when absent. */
  allowedIps: readonly string[] | undefined;
  now(): number;
}

function field(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/** `260961234567` or `tel:+260961234567` -> `+260961234567`. */
function e164(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const plain = address.replace(/^tel:/i, '').trim();
  return /^\d+$/.test(plain) ? `+${plain}` : plain;
}

function readReports(request: WebhookRequest): MtnDeliveryReport[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(request.rawBody));
  } catch {
    throw new ValidationError([{ path: '', message: 'body is not valid JSON' }], {
      subject: 'MTN delivery report',
    });
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const reports: MtnDeliveryReport[] = [];
  items.forEach((item, index) => {
    if (typeof item !== 'object' || item === null) return;
    const record = item as Record<string, unknown>;
    const deliveryStatus = field(record, 'deliveryStatus');
    // The subscription's callbackUrl also receives mobile-originated messages: not reports.
    if (deliveryStatus === undefined) return;
    const transactionId = field(record, 'transactionId');
    if (!transactionId) {
      throw new ValidationError(
        [{ path: `${Array.isArray(parsed) ? `${index}.` : ''}transactionId`, message: 'is required' }],
        {
          subject: 'MTN delivery report',
        },
      );
    }
    reports.push({
      transactionId,
      deliveryStatus,
      clientCorrelator: field(record, 'clientCorrelator') ?? field(record, 'clientCorrelatorId'),
      receiverAddress: field(record, 'receiverAddress'),
      timestamp: field(record, 'timestamp'),
    });
  });
  return reports;
}

/**
 * Verifies and parses MTN delivery reports. MTN signs nothing: a report is trusted when the URL
 * carries the instance's secret token (compared in constant time) and, with an allow-list, the
 * caller's address is in it. The token is checked before the body is read.
 */
export function createWebhookParser(
  settings: MtnWebhookSettings,
): (request: WebhookRequest) => WebhookResult {
  const verify = urlTokenGuard({
    provider: settings.provider,
    token: settings.webhookToken,
    parameter: WEBHOOK_TOKEN_PARAMETER,
    allowedIps: settings.allowedIps,
  });

  return (request) => {
    verify(request);
    const events = readReports(request).map((report): DeliveryEvent => {
      const status: DeliveryStatus =
        (MTN_STATUS_MAP as Record<string, DeliveryStatus>)[report.deliveryStatus] ?? 'unknown';
      const occurredAt = report.timestamp === undefined ? Number.NaN : Date.parse(report.timestamp);
      return {
        providerMessageId: report.transactionId,
        messageId: report.clientCorrelator,
        status,
        providerStatus: report.deliveryStatus,
        occurredAt: new Date(Number.isNaN(occurredAt) ? settings.now() : occurredAt),
        recipient: e164(report.receiverAddress),
        eventId: [report.transactionId, report.receiverAddress, report.deliveryStatus]
          .filter(Boolean)
          .join(':'),
        error: isFailureStatus(status) ? { code: report.deliveryStatus } : undefined,
      };
    });
    return { events };
  };
}
