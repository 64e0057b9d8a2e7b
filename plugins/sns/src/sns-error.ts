import { type ErrorKind, kindFromHttpStatus, networkError, ProviderError, parseRetryAfter } from '@msg/core';

/**
 * Every SNS (and AWS common) error code a Publish can answer, by the code on the wire
 * (`<Error><Code>`), with the kind the router acts on. Codes not listed fall back to the HTTP status.
 */
export const SNS_ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  Throttled: 'rate-limited',
  Throttling: 'rate-limited',
  ThrottlingException: 'rate-limited',
  RequestLimitExceeded: 'rate-limited',
  KMSThrottling: 'rate-limited',
  InternalError: 'transient',
  InternalFailure: 'transient',
  ServiceUnavailable: 'transient',
  InvalidParameter: 'permanent',
  ParameterValueInvalid: 'permanent',
  ValidationError: 'permanent',
  ValidationException: 'permanent',
  OptedOut: 'permanent',
  EndpointDisabled: 'permanent',
  NotFound: 'permanent',
  AuthorizationError: 'configuration',
  InvalidClientTokenId: 'configuration',
  SignatureDoesNotMatch: 'configuration',
  IncompleteSignature: 'configuration',
  MissingAuthenticationToken: 'configuration',
  ExpiredToken: 'configuration',
  RequestExpired: 'configuration',
  AccessDenied: 'configuration',
  OptInRequired: 'configuration',
  InvalidSecurity: 'configuration',
  KMSAccessDenied: 'configuration',
  KMSDisabled: 'configuration',
  KMSInvalidState: 'configuration',
  KMSNotFound: 'configuration',
  KMSOptInRequired: 'configuration',
  // Thrown by the SDK itself, before any request, when the default chain finds no credentials.
  CredentialsProviderError: 'configuration',
};

/** What an AWS SDK v3 `ServiceException` carries that we read. */
interface AwsServiceError {
  name: string;
  message?: string;
  /** Wire code of a modelled error (`Throttled` for `ThrottledException`); absent for unmodelled ones. */
  Code?: string;
  Error?: { Code?: string };
  $fault?: 'client' | 'server';
  $metadata: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

function isServiceAnswer(error: unknown): error is AwsServiceError {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return (
    typeof metadata?.httpStatusCode === 'number' && typeof (error as { name?: unknown }).name === 'string'
  );
}

/**
 * Turns anything `SNSClient.send` threw into a `ProviderError`. An answer from SNS is mapped by its
 * wire code; anything without an HTTP status (refused, reset, aborted) goes through `networkError`.
 */
export function toProviderError(error: unknown, provider: string, signal?: AbortSignal): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if ((error as { name?: unknown } | null)?.name === 'CredentialsProviderError') {
    return new ProviderError({
      kind: 'configuration',
      provider,
      providerCode: 'CredentialsProviderError',
      message: `[msg] [plugin-sns] no AWS credentials: ${(error as Error).message}`,
      cause: error,
    });
  }
  if (!isServiceAnswer(error)) return networkError(error, provider, signal);
  const status = error.$metadata.httpStatusCode as number;
  if (error.$fault === undefined) {
    // The SDK could not read the body (no SNS XML): judge by the status alone.
    const accepted = status >= 200 && status < 300;
    return new ProviderError({
      kind: accepted ? 'ambiguous' : kindFromHttpStatus(status),
      provider,
      providerCode: `HTTP_${status}`,
      httpStatus: status,
      message: accepted
        ? `[msg] [plugin-sns] SNS answered HTTP ${status} with a body the SDK could not read; the message may have been sent`
        : `[msg] [plugin-sns] SNS answered HTTP ${status} without an SNS error body`,
      cause: error,
    });
  }
  // Modelled errors are named after their shape (`ThrottledException`); `Code` keeps the wire code.
  const code = error.Code ?? error.Error?.Code ?? error.name;
  const kind = SNS_ERROR_KINDS[code] ?? kindFromHttpStatus(status);
  const retryAfter = error.$response?.headers?.['retry-after'];
  return new ProviderError({
    kind,
    provider,
    providerCode: code,
    httpStatus: status,
    retryAfterMs: kind === 'rate-limited' ? parseRetryAfter(retryAfter) : undefined,
    message: `[msg] [plugin-sns] SNS ${code} (HTTP ${status}): ${error.message ?? 'no message'}`,
    cause: error,
  });
}
