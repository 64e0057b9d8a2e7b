import { type ErrorKind, kindFromHttpStatus, networkError, ProviderError, parseRetryAfter } from '@msg/core';
import type { SendgridErrorItem } from './sendgrid-api-types.js';

/**
 * Kind of each HTTP status SendGrid's mail send answers with. SendGrid's error bodies carry no
 * stable code of their own (only `message`, an often-null `field` and `help`), so the HTTP status
 * is the provider code.
 */
export const SENDGRID_ERROR_KINDS: Readonly<Record<number, ErrorKind>> = {
  400: 'permanent',
  // Bad, revoked or expired API key.
  401: 'configuration',
  // Unverified sender identity, key without the mail.send scope, suspended account.
  403: 'configuration',
  413: 'permanent',
  429: 'rate-limited',
  500: 'transient',
  502: 'transient',
  503: 'transient',
  504: 'transient',
};

/** The rejection @sendgrid/client throws for an HTTP answer >= 400 (`ResponseError`). */
interface ResponseErrorLike {
  code: number;
  response: { headers?: Record<string, unknown>; body?: unknown };
}

function isResponseError(error: unknown): error is ResponseErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'number' &&
    typeof (error as { response?: unknown }).response === 'object'
  );
}

function errorItems(body: unknown): SendgridErrorItem[] {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body ? [{ message: body.slice(0, 200) }] : [];
    }
  }
  const errors = (value as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? (errors.filter((item) => typeof item?.message === 'string') as never) : [];
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name] ?? headers?.[name.toLowerCase()];
  return value === undefined || value === null ? undefined : String(value);
}

/** `X-RateLimit-Reset` is the epoch second the window reopens. */
export function retryAfterFromReset(reset: string | undefined, now: number): number | undefined {
  if (!reset || !/^\d+$/.test(reset.trim())) return undefined;
  return Math.max(0, Number(reset) * 1000 - now);
}

export interface ErrorContext {
  provider: string;
  signal: AbortSignal;
  /** Whether the request reached the HTTP layer. */
  dispatched: boolean;
  now: number;
}

/** Turns anything the SDK throws into a `ProviderError`; no raw SDK error escapes. */
export function toProviderError(error: unknown, context: ErrorContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (isResponseError(error)) {
    const status = error.code;
    const items = errorItems(error.response.body);
    const detail = items
      .map((item) => (item.field ? `${item.message} (field ${item.field})` : item.message))
      .join('; ');
    const kind = SENDGRID_ERROR_KINDS[status] ?? kindFromHttpStatus(status);
    const headers = error.response.headers;
    const retryAfterMs =
      kind === 'rate-limited'
        ? (retryAfterFromReset(header(headers, 'X-RateLimit-Reset'), context.now) ??
          parseRetryAfter(header(headers, 'Retry-After'), context.now))
        : undefined;
    return new ProviderError({
      kind,
      provider: context.provider,
      providerCode: String(status),
      httpStatus: status,
      retryAfterMs,
      message: `[msg] [plugin-sendgrid] SendGrid answered ${status}${detail ? `: ${detail}` : ''}`,
    });
  }
  if (!context.dispatched && !context.signal.aborted) {
    // @sendgrid/mail checks the message before any request (Mail.create): nothing left.
    return new ProviderError({
      kind: 'permanent',
      provider: context.provider,
      providerCode: 'SDK_VALIDATION',
      message: `[msg] [plugin-sendgrid] the SendGrid SDK refused the message: ${(error as Error)?.message ?? String(error)}`,
    });
  }
  return networkError(error, context.provider, context.signal);
}
