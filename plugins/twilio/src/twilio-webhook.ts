import { createHash } from 'node:crypto';
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
  /**
   * The configured `statusCallbackUrl`: the URL Twilio signs, which behind a proxy is not the URL
   * the host received the request on.
   */
  statusCallbackUrl?: string | undefined;
  now(): number;
  logger?: Logger | undefined;
}

/** The `StatusCallback` given to Twilio for one message: the callback URL with our message id. */
export function withMessageId(url: string, messageId: string): string {
  const separator = url.includes('?') ? '&' : '?';
  return `${url}${separator}${MESSAGE_ID_QUERY_PARAMETER}=${encodeURIComponent(messageId)}`;
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

/**
 * The URLs Twilio may have signed: the one the host received, and, with a `statusCallbackUrl`,
 * that URL with the message id this plugin added when sending, rebuilt exactly as it was sent.
 * Behind a reverse proxy the two differ (another host, another path), and only the second is
 * what Twilio signed.
 */
function signedUrls(request: WebhookRequest, settings: TwilioWebhookSettings): string[] {
  if (!settings.statusCallbackUrl) return [request.url];
  let messageId: string | null = null;
  try {
    messageId = new URL(request.url).searchParams.get(MESSAGE_ID_QUERY_PARAMETER);
  } catch {
    // Not a URL: only the configured one can match.
  }
  const configured =
    messageId === null ? settings.statusCallbackUrl : withMessageId(settings.statusCallbackUrl, messageId);
  return [...new Set([request.url, configured])];
}

function verify(request: WebhookRequest, settings: TwilioWebhookSettings): TwilioParams {
  const signature = headerOf(request, 'x-twilio-signature');
  if (!signature) throw new WebhookVerificationError(settings.provider, 'missing X-Twilio-Signature header');
  const body = Buffer.from(request.rawBody).toString('utf8');
  const inputs = signedUrls(request, settings).map((url) => ({
    authToken: settings.authToken,
    signature,
    url,
  }));
  if (request.url.includes('bodySHA256=')) {
    if (!inputs.some((input) => verifyTwilioBodySignature({ ...input, body: request.rawBody }))) {
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
  if (!inputs.some((input) => verifyTwilioSignature({ ...input, params }))) {
    throw new WebhookVerificationError(settings.provider, 'X-Twilio-Signature does not match');
  }
  return request.method.toUpperCase() === 'GET' ? parseFormParams(new URL(request.url).search) : params;
}

/** What Twilio says of a message's status, by status callback or by reading the message resource. */
export interface TwilioStatusReport {
  providerMessageId: string;
  providerStatus: string;
  messageId?: string | undefined;
  recipient?: string | undefined;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  occurredAt: Date;
  eventId: string;
  accountSid?: string | undefined;
  messagingServiceSid?: string | undefined;
  rawDlrDoneDate?: string | undefined;
}

/** A Twilio status as a normalised event; none (and a warning) for a status this plugin does not know. */
export function twilioStatusEvent(
  report: TwilioStatusReport,
  settings: Pick<TwilioWebhookSettings, 'provider' | 'logger'>,
): DeliveryEvent | undefined {
  const status = (TWILIO_STATUS_MAP as Record<string, DeliveryStatus>)[report.providerStatus];
  if (!status) {
    settings.logger?.warn('[msg] [plugin-twilio] ignoring a message status this plugin does not know', {
      provider: settings.provider,
      providerStatus: report.providerStatus,
      providerMessageId: report.providerMessageId,
    });
    return undefined;
  }
  const details: Record<string, string> = {};
  if (report.accountSid) details.accountSid = report.accountSid;
  if (report.messagingServiceSid) details.messagingServiceSid = report.messagingServiceSid;
  if (report.rawDlrDoneDate) details.rawDlrDoneDate = report.rawDlrDoneDate;
  const { errorCode } = report;
  return {
    providerMessageId: report.providerMessageId,
    messageId: report.messageId,
    status,
    providerStatus: report.providerStatus,
    occurredAt: report.occurredAt,
    recipient: report.recipient,
    eventId: report.eventId,
    error: errorCode && errorCode !== '0' ? { code: errorCode, message: report.errorMessage } : undefined,
    details: Object.keys(details).length > 0 ? details : undefined,
  };
}

/**
 * The de-duplication key of a callback, from what its signature covers: every signed parameter,
 * never the unsigned `I-Twilio-Idempotency-Token` header, which a replay can change at will. A
 * retry of one callback carries the same parameters; two real callbacks differ in at least their
 * status, error code or carrier done date, and any parameter Twilio adds later is covered too.
 */
export function signedContentId(params: TwilioParams): string {
  const entries = Object.keys(params)
    .sort()
    .map((key) => [key, params[key]]);
  return `sha256:${createHash('sha256').update(JSON.stringify(entries)).digest('base64url')}`;
}

/** Verifies a Twilio status callback and turns it into at most one delivery event. */
export function parseTwilioWebhook(request: WebhookRequest, settings: TwilioWebhookSettings): WebhookResult {
  const params = verify(request, settings);
  const providerMessageId = first(params.MessageSid) ?? first(params.SmsSid);
  const providerStatus = first(params.MessageStatus) ?? first(params.SmsStatus);
  // Inbound messages and other Twilio webhooks carry no outbound status: nothing to record.
  if (!providerMessageId || !providerStatus) return { events: [] };
  const rawDlrDoneDate = first(params.RawDlrDoneDate);
  const event = twilioStatusEvent(
    {
      providerMessageId,
      providerStatus,
      messageId: new URL(request.url).searchParams.get(MESSAGE_ID_QUERY_PARAMETER) ?? undefined,
      recipient: first(params.To),
      errorCode: first(params.ErrorCode),
      errorMessage: first(params.ErrorMessage),
      occurredAt: parseRawDlrDoneDate(rawDlrDoneDate) ?? new Date(settings.now()),
      eventId: signedContentId(params),
      accountSid: first(params.AccountSid),
      messagingServiceSid: first(params.MessagingServiceSid),
      rawDlrDoneDate,
    },
    settings,
  );
  return { events: event ? [event] : [] };
}
