import { jsonResponse, type SimulatorResponse, textResponse } from '@msg/testing';

/** Resend's error body: `{ statusCode, name, message }`. */
export function resendError(
  statusCode: number,
  name: string,
  message: string,
  headers: Record<string, string> = {},
): SimulatorResponse {
  return jsonResponse(statusCode, { statusCode, name, message }, headers);
}

/** The error catalogue (`failNext(name)`), worded as Resend's API reference words them. */
export function resendErrorCatalogue(now: () => number): Record<string, () => SimulatorResponse> {
  return {
    'missing-api-key': () =>
      resendError(401, 'missing_api_key', 'Missing API key in the authorization header.'),
    'restricted-api-key': () =>
      resendError(401, 'restricted_api_key', 'This API key is restricted to only send emails.'),
    'invalid-api-key': () => resendError(403, 'invalid_api_key', 'API key is invalid.'),
    'domain-not-verified': () =>
      resendError(
        403,
        'validation_error',
        'The example.com domain is not verified. Please, add and verify your domain on https://resend.com/domains',
      ),
    'not-found': () => resendError(404, 'not_found', 'The requested endpoint does not exist.'),
    'method-not-allowed': () =>
      resendError(405, 'method_not_allowed', 'Method is not allowed for the requested path.'),
    'invalid-from-address': () =>
      resendError(
        422,
        'invalid_from_address',
        'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
      ),
    'security-error': () =>
      resendError(451, 'security_error', 'We may have found a security issue with the request.'),
    'validation-error': () =>
      resendError(
        422,
        'validation_error',
        'Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
      ),
    'invalid-idempotency-key': () =>
      resendError(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.'),
    'invalid-idempotent-request': () =>
      resendError(
        409,
        'invalid_idempotent_request',
        'Same idempotency key used with a different request payload. Change your idempotency key or payload.',
      ),
    'concurrent-idempotent-requests': () =>
      resendError(
        409,
        'concurrent_idempotent_requests',
        'Same idempotency key used while original request is still in progress. Try the request again later.',
      ),
    'invalid-attachment': () =>
      resendError(422, 'invalid_attachment', 'Attachment must have either a `content` or `path`.'),
    'invalid-access': () =>
      resendError(422, 'invalid_access', 'Access must be "full_access" | "sending_access".'),
    'invalid-parameter': () => resendError(422, 'invalid_parameter', 'The `id` must be a valid UUID.'),
    'invalid-region': () =>
      resendError(422, 'invalid_region', 'Region must be "us-east-1" | "eu-west-1" | "sa-east-1".'),
    'missing-required-field': () => resendError(422, 'missing_required_field', 'Missing `to` field.'),
    'rate-limit-exceeded': () =>
      resendError(429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second.', {
        'retry-after': '1',
        'ratelimit-limit': '2',
        'ratelimit-remaining': '0',
        'ratelimit-reset': '1',
      }),
    'daily-quota-exceeded': () =>
      resendError(429, 'daily_quota_exceeded', 'You have reached your daily email sending quota.', {
        'retry-after': String(Math.ceil((86_400_000 - (now() % 86_400_000)) / 1000)),
      }),
    'monthly-quota-exceeded': () =>
      resendError(429, 'monthly_quota_exceeded', 'You have reached your monthly email sending quota.'),
    'application-error': () =>
      resendError(500, 'application_error', 'An unexpected error occurred, please try again later.'),
    'internal-server-error': () =>
      resendError(500, 'internal_server_error', 'An unexpected error occurred, please try again later.'),
    // A proxy in front of the API, answering without Resend's JSON.
    'bad-gateway': () => textResponse(502, '<html><body>502 Bad Gateway</body></html>', 'text/html'),
    // 200 with a body that is not JSON: the email may or may not have been accepted.
    'unreadable-success': () => textResponse(200, '<html>ok</html>', 'text/html'),
  };
}
