import { ValidationError, type ValidationIssue } from '@msg/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http/http-error.js';
import { StoreUnavailableError } from '../store/store-error.js';

/**
 * An error as Twilio's REST API answers it: `{ code, message, more_info, status }` with Twilio's
 * code, which the twilio SDK raises as `RestException` with `.code` and `.status`.
 */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'TwilioApiError';
  }

  toBody() {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

/** The gateway's own refusals (auth, scope, rate limit, readiness, idempotency) with Twilio's codes. */
const BY_STATUS: Record<number, { code: number; message: string }> = {
  401: { code: 20003, message: 'Authenticate' },
  403: { code: 20003, message: 'Permission Denied' },
  404: { code: 20404, message: 'The requested resource was not found' },
  405: { code: 20004, message: 'Method not allowed' },
  409: { code: 20409, message: 'Conflict' },
  // The body limit is far beyond any message Twilio takes: its body was too long.
  413: { code: 21617, message: 'The concatenated message body exceeds the 1600 character limit.' },
  429: { code: 20429, message: 'Too Many Requests' },
  503: { code: 20503, message: 'Service is unavailable. Please try again' },
};

/**
 * What Twilio says of a message parameter the gateway refuses. Only the first issue: Twilio
 * answers one error at a time.
 */
function issueError(issue: ValidationIssue, form: URLSearchParams): TwilioApiError {
  const field = issue.path.split('.')[0];
  if (field === 'to') {
    return new TwilioApiError(
      400,
      21211,
      `The 'To' number ${form.get('To') ?? ''} is not a valid phone number.`,
    );
  }
  if (field === 'from') {
    return new TwilioApiError(
      400,
      21212,
      `The 'From' number ${form.get('From') ?? ''} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
    );
  }
  if (field === 'text') {
    return /limit is/.test(issue.message)
      ? new TwilioApiError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.')
      : new TwilioApiError(400, 21602, `Message body is required (${issue.message}).`);
  }
  if (field === 'callbackUrl') {
    return new TwilioApiError(
      400,
      21609,
      `The StatusCallback URL ${form.get('StatusCallback') ?? ''} is not valid: ${issue.message}`,
    );
  }
  // Twilio has no code for the gateway's own rules; its generic "invalid parameter".
  return new TwilioApiError(400, 20001, `${issue.path}: ${issue.message}`);
}

/** Any error of a Twilio route as Twilio's error: refusals keep their meaning, internals stay hidden. */
export function toTwilioError(error: unknown, form: URLSearchParams | undefined): TwilioApiError {
  if (error instanceof TwilioApiError) return error;
  if (ValidationError.isInstance(error) && error.issues[0]) {
    return issueError(error.issues[0], form ?? new URLSearchParams());
  }
  if (error instanceof HttpError || StoreUnavailableError.isInstance(error)) {
    const status = error instanceof HttpError ? error.statusCode : 503;
    const known = BY_STATUS[status];
    if (known) {
      const headers = error instanceof HttpError ? error.headers : { 'retry-after': '5' };
      return new TwilioApiError(status, known.code, known.message, headers);
    }
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) {
    const known = BY_STATUS[status];
    return new TwilioApiError(status, known?.code ?? 20001, known?.message ?? (error as Error).message);
  }
  return new TwilioApiError(500, 20500, 'An internal server error has occurred');
}

/** The error handler of the Twilio routes: every error leaves in Twilio's envelope. */
export function twilioErrorHandler(log: (message: string, fields: Record<string, unknown>) => void) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const answer = toTwilioError(error, request.twilioForm);
    if (answer.status >= 500) log('twilio ingress: internal error', { error, url: request.url });
    return reply.code(answer.status).headers(answer.headers).send(answer.toBody());
  };
}
