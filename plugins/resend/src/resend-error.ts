import {
  abortedError,
  type ErrorKind,
  kindFromHttpStatus,
  networkError,
  ProviderError,
  parseRetryAfter,
} from '@msg/core';
import type { ResendErrorBody } from './resend-api-types.js';
import type { CallState } from './resend-transport.js';

/**
 * Kind of each error name Resend documents (the SDK's `RESEND_ERROR_CODE_KEY`). The daily and
 * monthly quotas answer 429 but reopen only in hours or weeks: for routing they are the
 * instance's configuration (fail over), not a short wait.
 */
export const RESEND_ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  missing_api_key: 'configuration',
  restricted_api_key: 'configuration',
  invalid_api_key: 'configuration',
  not_found: 'configuration',
  method_not_allowed: 'configuration',
  invalid_from_address: 'configuration',
  security_error: 'configuration',
  daily_quota_exceeded: 'configuration',
  monthly_quota_exceeded: 'configuration',
  invalid_idempotency_key: 'permanent',
  invalid_idempotent_request: 'permanent',
  invalid_attachment: 'permanent',
  invalid_access: 'permanent',
  invalid_parameter: 'permanent',
  invalid_region: 'permanent',
  missing_required_field: 'permanent',
  rate_limit_exceeded: 'rate-limited',
  // Another request with the same key is still running: retry later with the same key.
  concurrent_idempotent_requests: 'transient',
  application_error: 'transient',
  internal_server_error: 'transient',
};

export interface ErrorContext {
  provider: string;
  signal: AbortSignal;
  state: CallState;
  headers: Record<string, string> | null;
  now: number;
}

/** `validation_error` is a bad request (400/422), except 403: the domain is not verified. */
function kindOf(error: ResendErrorBody, status: number): ErrorKind {
  if (error.name === 'validation_error') return status === 403 ? 'configuration' : 'permanent';
  return RESEND_ERROR_KINDS[error.name] ?? kindFromHttpStatus(status);
}

/** The `ProviderError` for an SDK `error` (never thrown by the SDK: it resolves `{ data, error }`). */
export function toProviderError(error: ResendErrorBody, context: ErrorContext): ProviderError {
  const prefix = '[msg] [plugin-resend]';
  if (error.statusCode === null || error.statusCode === undefined) {
    // The SDK returns the same value for an abort, a refused connection, a reset and a 2xx body
    // that is not JSON: the signal and the dispatcher's record tell them apart.
    if (context.signal.aborted) return abortedError(context.provider, context.signal);
    const code = context.state.networkError;
    if (code) {
      // Never handed to a connection: nothing left. Otherwise core tells a refused connection
      // (transient) from one lost after the request went out (ambiguous).
      const cause = Object.assign(new Error(`Resend request failed (${code})`), { code });
      if (!context.state.sent) {
        return new ProviderError({
          kind: 'transient',
          provider: context.provider,
          providerCode: code,
          message: `${prefix} could not reach Resend (${code}); nothing was sent`,
          cause,
        });
      }
      return networkError(cause, context.provider, context.signal);
    }
    return new ProviderError({
      kind: 'ambiguous',
      provider: context.provider,
      providerCode: 'UNREADABLE_RESPONSE',
      message: `${prefix} Resend's answer could not be read; the email may have been accepted (a retry with the same Idempotency-Key is safe)`,
    });
  }
  const status = error.statusCode;
  const kind = kindOf(error, status);
  const retryAfterMs =
    kind === 'rate-limited' ? parseRetryAfter(context.headers?.['retry-after'], context.now) : undefined;
  return new ProviderError({
    kind,
    provider: context.provider,
    providerCode: error.name,
    httpStatus: status,
    retryAfterMs,
    message: `${prefix} Resend answered ${status} ${error.name}${error.message ? `: ${error.message}` : ''}`,
  });
}
