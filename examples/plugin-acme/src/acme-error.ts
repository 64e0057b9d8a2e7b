import { type ErrorKind, kindFromHttpStatus, ProviderError, parseRetryAfter } from '@msg/core';

/** Acme's error codes and what the router should do with each. */
const KINDS: Record<string, ErrorKind> = {
  invalid_number: 'permanent',
  opted_out: 'permanent',
  unauthorized: 'configuration',
  sender_not_allowed: 'configuration',
  rate_limited: 'rate-limited',
  unavailable: 'transient',
};

export function acmeError(
  provider: string,
  status: number,
  body: { error?: { code?: string; message?: string } },
  retryAfter: string | undefined,
): ProviderError {
  const code = body.error?.code ?? `http_${status}`;
  return new ProviderError({
    kind: KINDS[code] ?? kindFromHttpStatus(status),
    provider,
    providerCode: code,
    httpStatus: status,
    message: body.error?.message ?? `Acme answered HTTP ${status}`,
    retryAfterMs: parseRetryAfter(retryAfter),
  });
}
