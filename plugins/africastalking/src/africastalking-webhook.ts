import {
  type DeliveryEvent,
  type DeliveryStatus,
  isFailureStatus,
  urlTokenGuard,
  ValidationError,
  type WebhookRequest,
} from '@msg/core';
import type { AfricasTalkingDeliveryReport } from './africastalking-api-types.js';

/** The query parameter of the registered callback URL that carries the secret token. */
export const WEBHOOK_TOKEN_PARAMETER = 'token';

/**
 * Delivery-report status -> normalised status. `Failed` is `undelivered`: Africa's Talking
 * accepted and billed the message and the network or handset could not take it (the reason is in
 * `failureReason`); `Rejected` is `failed`: the network refused it outright.
 */
export const AFRICASTALKING_STATUS_MAP = {
  Sent: 'sent',
  Submitted: 'sent',
  Buffered: 'sent',
  Rejected: 'failed',
  Success: 'delivered',
  Failed: 'undelivered',
  AbsentSubscriber: 'undelivered',
  Expired: 'expired',
} as const satisfies Record<string, DeliveryStatus>;

export interface AfricasTalkingWebhookSettings {
  provider: string;
  /** Secret expected in `?token=` of the callback URL; without it every report is refused. */
  webhookToken: string | undefined;
  /** Addresses or CIDR blocks the reports may come from; any address when absent. */
  allowedIps: readonly string[] | undefined;
  now(): number;
}

function readReport(request: WebhookRequest): AfricasTalkingDeliveryReport {
  const text = new TextDecoder().decode(request.rawBody);
  const contentType = request.headers['content-type'] ?? '';
  let fields: Record<string, unknown>;
  try {
    fields = contentType.includes('json')
      ? (JSON.parse(text) as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(text));
  } catch {
    throw new ValidationError([{ path: '', message: 'body is not valid JSON' }], {
      subject: "Africa's Talking delivery report",
    });
  }
  const value = (name: string) => {
    const field = fields[name];
    return field === undefined || field === null || field === '' ? undefined : String(field);
  };
  const id = value('id');
  const status = value('status');
  if (!id || !status) {
    throw new ValidationError([{ path: id ? 'status' : 'id', message: 'is required' }], {
      subject: "Africa's Talking delivery report",
    });
  }
  return {
    id,
    status,
    phoneNumber: value('phoneNumber'),
    networkCode: value('networkCode'),
    failureReason: value('failureReason'),
    retryCount: value('retryCount'),
  } as AfricasTalkingDeliveryReport;
}

/**
 * Verifies and parses Africa's Talking delivery reports. The provider signs nothing: the report
 * is trusted when the URL carries the instance's secret token (compared in constant time) and,
 * when an allow-list is set, the caller's address is in it.
 */
export function createWebhookParser(settings: AfricasTalkingWebhookSettings) {
  const verify = urlTokenGuard({
    provider: settings.provider,
    token: settings.webhookToken,
    parameter: WEBHOOK_TOKEN_PARAMETER,
    allowedIps: settings.allowedIps,
  });

  return function parseWebhook(request: WebhookRequest): { events: DeliveryEvent[] } {
    verify(request);
    const report = readReport(request);
    const status: DeliveryStatus =
      (AFRICASTALKING_STATUS_MAP as Record<string, DeliveryStatus>)[report.status] ?? 'unknown';
    const details: Record<string, string> = {};
    if (report.networkCode) details.networkCode = report.networkCode;
    if (report.retryCount) details.retryCount = report.retryCount;
    const failed = report.failureReason !== undefined || isFailureStatus(status);
    const event: DeliveryEvent = {
      providerMessageId: report.id,
      status,
      providerStatus: report.status,
      occurredAt: new Date(settings.now()),
      recipient: report.phoneNumber,
      eventId: [report.id, report.status, report.failureReason, report.retryCount].filter(Boolean).join(':'),
      error: failed ? { code: report.failureReason ?? report.status } : undefined,
      details,
    };
    return { events: [event] };
  };
}
