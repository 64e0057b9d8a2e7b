import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http/http-error.js';
import { StoreUnavailableError } from '../store/store-error.js';

/** One entry of SendGrid's error body `{ errors: [{ message, field, help }] }`. */
export interface SendgridErrorItem {
  message: string;
  field: string | null;
  help: string | null;
}

export const SENDGRID_HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';

/** An answer in SendGrid's error shape, which @sendgrid/client raises as `ResponseError` (`.code` = status). */
export class SendgridApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: SendgridErrorItem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(errors.map((error) => error.message).join('; '));
    this.name = 'SendgridApiError';
  }

  static single(status: number, message: string, headers: Record<string, string> = {}): SendgridApiError {
    return new SendgridApiError(status, [{ message, field: null, help: null }], headers);
  }
}

/** SendGrid's words for the gateway's own refusals (auth, scope, limits, readiness). */
const BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'The provided authorization grant is invalid, expired, or revoked',
  403: 'access forbidden',
  404: 'not found',
  405: 'method not allowed',
  413: 'The JSON payload you have included in your request is too large.',
  415: 'Content-Type should be application/json.',
  429: 'too many requests',
  503: 'service unavailable',
};

/** SendGrid's rate-limit headers from the gateway's `Retry-After`. */
function rateLimitHeaders(headers: Record<string, string>, now: number): Record<string, string> {
  const wait = Number(headers['retry-after'] ?? 1);
  return {
    ...headers,
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(Math.floor(now / 1000) + wait),
  };
}

export function toSendgridError(error: unknown, now: number): SendgridApiError {
  if (error instanceof SendgridApiError) return error;
  if (StoreUnavailableError.isInstance(error)) {
    return SendgridApiError.single(503, BY_STATUS[503] as string, { 'retry-after': '5' });
  }
  const status = error instanceof HttpError ? error.statusCode : (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 600 && BY_STATUS[status]) {
    const headers = error instanceof HttpError ? error.headers : {};
    return SendgridApiError.single(
      status,
      BY_STATUS[status] as string,
      status === 429 ? rateLimitHeaders(headers, now) : headers,
    );
  }
  return SendgridApiError.single(500, 'internal error');
}

/** The error handler of the SendGrid routes: every error leaves in SendGrid's shape. */
export function sendgridErrorHandler(
  now: () => number,
  log: (message: string, fields: Record<string, unknown>) => void,
) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const answer = toSendgridError(error, now());
    if (answer.status >= 500) log('sendgrid ingress: internal error', { error, url: request.url });
    return reply.code(answer.status).headers(answer.headers).send({ errors: answer.errors });
  };
}
