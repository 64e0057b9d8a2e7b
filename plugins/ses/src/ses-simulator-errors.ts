import { randomUUID } from 'node:crypto';
import { type ErrorCatalogue, jsonResponse, type SimulatorResponse, textResponse } from '@msg/testing';

/** A restJson1 error as AWS sends it. */
export function awsError(name: string, status: number, message: string): SimulatorResponse {
  return jsonResponse(
    status,
    { message },
    {
      // As AWS sends it; the SDK keeps the part before the colon.
      'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazonaws.sesv2/`,
      'x-amzn-requestid': randomUUID(),
    },
  );
}

/** Every error the simulator can be told to answer with (`failNext(name)`). */
export const SES_SIMULATOR_ERRORS: ErrorCatalogue = {
  TooManyRequestsException: () => awsError('TooManyRequestsException', 429, 'Maximum sending rate exceeded.'),
  LimitExceededException: () => awsError('LimitExceededException', 400, 'Daily message quota exceeded.'),
  InternalServiceErrorException: () =>
    awsError('InternalServiceErrorException', 500, 'Internal service error.'),
  ServiceUnavailable: () => textResponse(503, '<html><body>Service Unavailable</body></html>', 'text/html'),
  MessageRejected: () => awsError('MessageRejected', 400, 'Illegal address'),
  MessageRejectedUnverified: () =>
    awsError(
      'MessageRejected',
      400,
      'Email address is not verified. The following identities failed the check in region US-EAST-1: sender@example.com',
    ),
  MailFromDomainNotVerifiedException: () =>
    awsError('MailFromDomainNotVerifiedException', 400, 'The MAIL FROM domain is not verified.'),
  AccountSuspendedException: () =>
    awsError('AccountSuspendedException', 400, 'Your account has been suspended.'),
  SendingPausedException: () =>
    awsError('SendingPausedException', 400, 'Email sending is disabled for this configuration set.'),
  NotFoundException: () => awsError('NotFoundException', 404, 'Configuration set <events> does not exist.'),
  BadRequestException: () => awsError('BadRequestException', 400, 'Missing required field Subject.'),
  UnrecognizedClientException: () =>
    awsError('UnrecognizedClientException', 403, 'The security token included in the request is invalid.'),
  InvalidSignatureException: () =>
    awsError(
      'InvalidSignatureException',
      403,
      'The request signature we calculated does not match the signature you provided.',
    ),
  AccessDeniedException: () =>
    awsError('AccessDeniedException', 403, 'User is not authorized to perform: ses:SendEmail'),
};
