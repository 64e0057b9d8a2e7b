import {
  type DeliveryEvent,
  type DeliveryStatus,
  type Logger,
  type WebhookRequest,
  type WebhookResult,
  WebhookVerificationError,
} from '@msg/core';
import {
  parseFormParams,
  type TwilioParams,
  verifyTwilioBodySignature,
  verifyTwilioSignature,
} from './twilio-signature.js';

/**
 * Twilio message status -> normalised status.
 * - `accepted` (a Messaging Service took it) and `scheduled` (SendAt in the future) have not left
 *   Twilio yet: `queued`.
 * - `sending` is Twilio handing it to the carrier; it is out of our hands: `sent`.
 * - `canceled` is a scheduled message cancelled before sending: it never will be, so `failed`.
 * - `read` (WhatsApp/RCS read receipts) implies delivery; `opened` is an email engagement word.
 */
export const TWILIO_STATUS_MAP = {
  queued: 'queued',
  accepted: 'queued',
  scheduled: 'queued',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
  read: 'delivered',
} as const satisfies Record<string, DeliveryStatus>;

export type TwilioStatus = keyof typeof TWILIO_STATUS_MAP;

/** Query parameter the plugin adds to `StatusCallback` so callbacks carry our message id. */
export const MESSAGE_ID_QUERY_PARAMETER = 'messageId';

export interface TwilioWebhookSettings {
  provider: string;
  authToken: string;
  now(): number;
  logger?: Logger | undefined;
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

/** `RawDlrDoneDate` is the carrier's `YYMMDDhhmm[ss]` in UTC. */
export function parseRawDlrDoneDate(text: string | undefined): Date | undefined {
  const match = text ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(text) : null;
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(2000 + year, month - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function headerOf(request: WebhookRequest, name: string): string | undefined {
  return request.headers[name] ?? undefined;
}

function verify(request: WebhookRequest, settings: TwilioWebhookSettings): TwilioParams {
  const signature = headerOf(request, 'x-twilio-signature');
  if (!signature) throw new WebhookVerificationError(settings.provider, 'missing X-Twilio-Signature header');
  const body = Buffer.from(request.rawBody).toString('utf8');
  const input = { authToken: settings.authToken, signature, url: request.url };
  if (request.url.includes('bodySHA256=')) {
    if (!verifyTwilioBodySignature({ ...input, body: request.rawBody })) {
      throw new WebhookVerificationError(
        settings.provider,
        'X-Twilio-Signature or bodySHA256 does not match',
      );
    }
    const parsed = body.length > 0 ? (JSON.parse(body) as unknown) : {};
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).map(([key, value]) => [key, String(value)]),
    );
  }
  const params = request.method.toUpperCase() === 'GET' ? {} : parseFormParams(body);
  if (!verifyTwilioSignature({ ...input, params })) {
    throw new WebhookVerificationError(settings.provider, 'X-Twilio-Signature does not match');
  }
  return request.method.toUpperCase() === 'GET' ? parseFormParams(new URL(request.url).search) : params;
}

/** Verifies a Twilio status callback and turns it into at most one delivery event. */
export function parseTwilioWebhook(request: WebhookRequest, settings: TwilioWebhookSettings): WebhookResult {
  const params = verify(request, settings);
  const providerMessageId = first(params.MessageSid) ?? first(params.SmsSid);
  const providerStatus = first(params.MessageStatus) ?? first(params.SmsStatus);
  // Inbound messages and other Twilio webhooks carry no outbound status: nothing to record.
  if (!providerMessageId || !providerStatus) return { events: [] };
  const status = (TWILIO_STATUS_MAP as Record<string, DeliveryStatus>)[providerStatus];
  if (!status) {
    settings.logger?.warn('[msg] [plugin-twilio] ignoring a status callback with an unknown status', {
      provider: settings.provider,
      providerStatus,
      providerMessageId,
    });
    return { events: [] };
  }
  const errorCode = first(params.ErrorCode);
  const rawDoneDate = first(params.RawDlrDoneDate);
  const details: Record<string, string> = {};
  for (const [field, key] of [
    ['AccountSid', 'accountSid'],
    ['MessagingServiceSid', 'messagingServiceSid'],
    ['RawDlrDoneDate', 'rawDlrDoneDate'],
  ] as const) {
    const value = first(params[field]);
    if (value) details[key] = value;
  }
  const event: DeliveryEvent = {
    providerMessageId,
    messageId: new URL(request.url).searchParams.get(MESSAGE_ID_QUERY_PARAMETER) ?? undefined,
    status,
    providerStatus,
    occurredAt: parseRawDlrDoneDate(rawDoneDate) ?? new Date(settings.now()),
    recipient: first(params.To),
    // Twilio retries a callback with the same idempotency token; the status is the fallback key.
    eventId: headerOf(request, 'i-twilio-idempotency-token') ?? `${providerMessageId}:${providerStatus}`,
    error:
      errorCode && errorCode !== '0' ? { code: errorCode, message: first(params.ErrorMessage) } : undefined,
    details: Object.keys(details).length > 0 ? details : undefined,
  };
  return { events: [event] };
}
