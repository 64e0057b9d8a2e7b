import type { IncomingHttpHeaders } from 'node:http';
import { type ErrorKind, kindFromHttpStatus, ProviderError, parseRetryAfter } from '@msg/core';
import type { MtnApiResponse, MtnFaultBody, MtnOAuthErrorBody } from './mtn-api-types.js';
import { headerValue } from './mtn-client.js';

/**
 * HTTP status of a refused send -> kind. MTN's `statusCode` (`4000`) and Apigee's fault
 * `errorcode` are kept as `providerCode`, but the HTTP status decides: MTN documents no stable
 * list of codes.
 * - 401 reaches the router only after one token refresh failed to fix it: the app lost access
 *   to the API product, so `configuration`.
 * - 403 is a sender id or service code this account may not use: `configuration`.
 * - 404 on a fixed path means a wrong `baseUrl`: `configuration`.
 * - 504 is Apigee's gateway timeout: the request reached MTN's backend, which may have sent the
 *   SMS, so `ambiguous` rather than `transient` (a retry could deliver it twice).
 */
export const SEND_HTTP_STATUS_KINDS: Readonly<Record<number, ErrorKind>> = {
  400: 'permanent',
  401: 'configuration',
  403: 'configuration',
  404: 'configuration',
  429: 'rate-limited',
  500: 'transient',
  502: 'transient',
  503: 'transient',
  504: 'ambiguous',
};

interface ErrorDetail {
  code: string | undefined;
  text: string | undefined;
}

/** The code and text of any of the three error bodies MTN's stack answers with. */
export function readErrorBody(body: string): ErrorDetail {
  let parsed: MtnApiResponse & MtnFaultBody & MtnOAuthErrorBody;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    const text = body.trim().replace(/\s+/g, ' ').slice(0, 200);
    return { code: undefined, text: text || undefined };
  }
  if (typeof parsed !== 'object' || parsed === null) return { code: undefined, text: undefined };
  const code = parsed.statusCode ?? parsed.fault?.detail?.errorcode ?? parsed.ErrorCode;
  const text = parsed.statusMessage ?? parsed.fault?.faultstring ?? parsed.Error ?? parsed.supportMessage;
  return {
    code: code === undefined ? undefined : String(code).slice(0, 120),
    text: text === undefined ? undefined : String(text).slice(0, 200),
  };
}

function describe(status: number, detail: ErrorDetail): string {
  const parts = [detail.code, detail.text].filter(Boolean).join(' ');
  return `HTTP ${status}${parts ? ` ${parts}` : ''}`;
}

/** A send MTN answered with a non-2xx status (after the one token refresh a 401 allows). */
export function sendHttpError(
  status: number,
  headers: IncomingHttpHeaders,
  body: string,
  provider: string,
  now: number,
): ProviderError {
  const detail = readErrorBody(body);
  const kind = SEND_HTTP_STATUS_KINDS[status] ?? kindFromHttpStatus(status);
  return new ProviderError({
    kind,
    provider,
    providerCode: detail.code ?? `HTTP_${status}`,
    httpStatus: status,
    retryAfterMs:
      kind === 'rate-limited' ? parseRetryAfter(headerValue(headers, 'retry-after'), now) : undefined,
    message: `MTN refused the SMS: ${describe(status, detail)}${
      kind === 'ambiguous' ? '; the message may have been sent' : ''
    }`,
  });
}

/** A 2xx answer whose `statusCode` is not `0000`: 4xxx the request, 5xxx MTN's side. */
export function statusCodeError(response: MtnApiResponse, status: number, provider: string): ProviderError {
  const code = String(response.statusCode);
  const kind: ErrorKind = code.startsWith('4')
    ? 'permanent'
    : code.startsWith('5')
      ? 'transient'
      : 'ambiguous';
  return new ProviderError({
    kind,
    provider,
    providerCode: code,
    httpStatus: status,
    message: `MTN answered HTTP ${status} with statusCode ${code}${
      response.statusMessage ? ` (${String(response.statusMessage).slice(0, 200)})` : ''
    }`,
  });
}

/** A 2xx whose body is not the documented JSON: the message may have gone out. */
export function unreadableAnswerError(status: number, provider: string, cause?: unknown): ProviderError {
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: 'UNREADABLE_ANSWER',
    httpStatus: status,
    message: `MTN answered HTTP ${status} with a body that is not the documented JSON; the message may have been sent`,
    cause,
  });
}

/**
 * The token endpoint refused: 400/401 (`invalid_client`) and other 4xx are bad client
 * credentials or a wrong URL, `configuration`; 429 `rate-limited`; 5xx `transient`. No SMS left.
 */
export function tokenHttpError(
  status: number,
  headers: IncomingHttpHeaders,
  body: string,
  provider: string,
  now: number,
): ProviderError {
  const detail = readErrorBody(body);
  const kind: ErrorKind = status === 429 ? 'rate-limited' : status >= 500 ? 'transient' : 'configuration';
  return new ProviderError({
    kind,
    provider,
    providerCode: detail.code ?? `HTTP_${status}`,
    httpStatus: status,
    retryAfterMs:
      kind === 'rate-limited' ? parseRetryAfter(headerValue(headers, 'retry-after'), now) : undefined,
    message: `MTN token endpoint refused the client credentials: ${describe(status, detail)}`,
  });
}

/** The token request failed on the wire: nothing was sent, so safe to try again. */
export function tokenNetworkError(error: unknown, provider: string): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return new ProviderError({
    kind: 'transient',
    provider,
    providerCode: typeof code === 'string' ? code : 'TOKEN_NETWORK',
    message: `MTN token request failed before any SMS was sent (${
      error instanceof Error ? error.message : String(error)
    })`,
    cause: error,
  });
}

/** The caller's signal aborted before the SMS request left. */
export function abortedBeforeSendError(provider: string, signal: AbortSignal): ProviderError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new ProviderError({
    kind: 'transient',
    provider,
    providerCode: 'MSG_ABORTED',
    message: `send aborted before the request left (${reason}); nothing was sent`,
    cause: signal.reason,
  });
}

export function closedError(provider: string): ProviderError {
  return new ProviderError({
    kind: 'transient',
    provider,
    providerCode: 'MSG_CLOSED',
    message: 'provider is closed',
  });
}

export function missingSenderError(provider: string): ProviderError {
  return new ProviderError({
    kind: 'configuration',
    provider,
    providerCode: 'MISSING_SENDER',
    message: 'the message names no sender and the instance has no default `from`',
  });
}
