import { type ErrorKind, networkError, ProviderError, parseRetryAfter } from '@msg/core';
import { AbortedBeforeSendError, MailgunHttpError } from './mailgun-transport.js';

/**
 * Mailgun answers with HTTP statuses only (no error codes): the status, as a string, is the
 * provider code. 401/402/403/404 are about the account or domain, not the message.
 */
export const MAILGUN_ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  '400': 'permanent',
  '401': 'configuration',
  '402': 'configuration',
  '403': 'configuration',
  '404': 'configuration',
  '408': 'transient',
  '413': 'permanent',
  '429': 'rate-limited',
};

/** A 400 that is about the account, not the message (sandbox domains send to authorised recipients only). */
const CONFIGURATION_MESSAGES = [
  /sandbox subdomains are for test purposes only/i,
  /domain .* is not allowed/i,
];

function kindOf(status: number, message: string): ErrorKind {
  if (status >= 500) return 'transient';
  if (status === 400 && CONFIGURATION_MESSAGES.some((pattern) => pattern.test(message))) {
    return 'configuration';
  }
  return MAILGUN_ERROR_KINDS[String(status)] ?? 'permanent';
}

function header(headers: MailgunHttpError['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `Retry-After` (seconds or a date) first, then `X-RateLimit-Reset`, which Mailgun sends as an
 * epoch in milliseconds; an epoch in seconds or a count of seconds is accepted too.
 */
export function retryAfterFromHeaders(
  headers: MailgunHttpError['headers'],
  now = Date.now(),
): number | undefined {
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  if (!Number.isFinite(reset) || reset <= 0) return undefined;
  if (reset > 1e12) return Math.max(0, Math.round(reset - now));
  if (reset > 1e9) return Math.max(0, Math.round(reset * 1000 - now));
  return Math.round(reset * 1000);
}

/** mailgun.js's own APIError (thrown for bad input before any request): `type: 'MailgunAPIError'`. */
interface SdkApiError {
  type: 'MailgunAPIError';
  status: number;
  message: string;
  details?: string;
}

function isSdkApiError(error: unknown): error is SdkApiError {
  return (
    typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'MailgunAPIError'
  );
}

/** Turns anything a send threw into a `ProviderError`; never lets an SDK error escape. */
export function toProviderError(error: unknown, provider: string, signal?: AbortSignal): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (error instanceof AbortedBeforeSendError) {
    return new ProviderError({
      kind: 'transient',
      provider,
      providerCode: 'MSG_ABORTED',
      message: 'aborted before the request was sent',
      cause: error.reason,
    });
  }
  if (error instanceof MailgunHttpError) {
    const detail = error.body.message ?? error.body.error ?? '';
    const kind = kindOf(error.status, detail);
    return new ProviderError({
      kind,
      provider,
      providerCode: String(error.status),
      httpStatus: error.status,
      message: `Mailgun answered ${error.status}${detail ? `: ${detail}` : ''}`,
      retryAfterMs: kind === 'rate-limited' ? retryAfterFromHeaders(error.headers) : undefined,
    });
  }
  if (isSdkApiError(error)) {
    const detail = [error.message, error.details].filter(Boolean).join(': ');
    return new ProviderError({
      kind: kindOf(error.status, detail),
      provider,
      providerCode: String(error.status),
      message: `mailgun.js refused the message: ${detail}`,
    });
  }
  return networkError(error, provider, signal);
}
