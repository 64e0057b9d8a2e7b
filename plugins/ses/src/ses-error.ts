import { type ErrorKind, kindFromHttpStatus, networkError, ProviderError, parseRetryAfter } from '@msg/core';

/** Every SES v2 (and AWS front-door) error code the plugin knows, with the kind it means. */
export const SES_ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  TooManyRequestsException: 'rate-limited',
  LimitExceededException: 'rate-limited',
  ThrottlingException: 'rate-limited',
  InternalServiceErrorException: 'transient',
  ServiceUnavailableException: 'transient',
  // Unless its text says the sender is not verified (see sesErrorKind).
  MessageRejected: 'permanent',
  BadRequestException: 'permanent',
  MailFromDomainNotVerifiedException: 'configuration',
  AccountSuspendedException: 'configuration',
  SendingPausedException: 'configuration',
  // The configuration set named in the options does not exist.
  NotFoundException: 'configuration',
  UnrecognizedClientException: 'configuration',
  InvalidSignatureException: 'configuration',
  SignatureDoesNotMatch: 'configuration',
  IncompleteSignatureException: 'configuration',
  MissingAuthenticationTokenException: 'configuration',
  InvalidClientTokenId: 'configuration',
  ExpiredTokenException: 'configuration',
  AccessDeniedException: 'configuration',
  // Thrown by the SDK itself when no credentials can be found.
  CredentialsProviderError: 'configuration',
};

/** SES's wording for an unverified sender or (in the sandbox) recipient. */
const NOT_VERIFIED = /not verified/i;

export function sesErrorKind(code: string, message: string, httpStatus: number | undefined): ErrorKind {
  if (code === 'MessageRejected' && NOT_VERIFIED.test(message)) return 'configuration';
  return SES_ERROR_KINDS[code] ?? (httpStatus === undefined ? 'transient' : kindFromHttpStatus(httpStatus));
}

const GENERIC_NAMES = new Set(['Error', 'SyntaxError', 'TypeError', 'Unknown', 'SESv2ServiceException']);

interface AwsSdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

/**
 * Converts whatever `client.send` threw into a `ProviderError`. An answer from SES carries
 * `$metadata.httpStatusCode`; anything else is a socket error or our own abort.
 */
export function toProviderError(error: unknown, provider: string, signal: AbortSignal): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const sdkError = (typeof error === 'object' && error !== null ? error : {}) as AwsSdkError;
  const httpStatus = sdkError.$metadata?.httpStatusCode;
  const name = sdkError.name ?? 'Error';
  if (httpStatus === undefined && !(name in SES_ERROR_KINDS)) return networkError(error, provider, signal);
  // A body that was not SES JSON (a proxy's 503 page) leaves only the HTTP status to go by.
  const code = GENERIC_NAMES.has(name) && httpStatus !== undefined ? `HTTP_${httpStatus}` : name;
  if (httpStatus !== undefined && httpStatus >= 200 && httpStatus < 300) {
    // A success the SDK could not read: SES may have accepted the email.
    return new ProviderError({
      kind: 'ambiguous',
      provider,
      providerCode: code,
      httpStatus,
      message: `SES answered HTTP ${httpStatus} with a body the SDK could not read; the email may have been sent`,
      cause: error,
    });
  }
  const message = (sdkError.message ?? '').split('\n')[0] ?? '';
  const kind = sesErrorKind(code, message, httpStatus);
  return new ProviderError({
    kind,
    provider,
    providerCode: code,
    httpStatus,
    message: `SES ${code}${httpStatus ? ` (HTTP ${httpStatus})` : ''}: ${message || 'no message'}`,
    retryAfterMs:
      kind === 'rate-limited' ? parseRetryAfter(sdkError.$response?.headers?.['retry-after']) : undefined,
    cause: error,
  });
}
