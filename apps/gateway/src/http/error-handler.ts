import type { Socket } from 'node:net';
import { type Logger, ValidationError, type ValidationIssue } from '@msg/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StoreUnavailableError } from '../store/store-error.js';
import { HttpError, invalidRequest } from './http-error.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function toPath(instancePath: string): string {
  return instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
}

/** Ajv's errors as `{ path, message }`: an unknown field is named by its own path. */
export function schemaIssues(errors: readonly AjvError[], context: string | undefined): ValidationIssue[] {
  const prefix = context === 'querystring' ? 'query.' : context === 'headers' ? 'headers.' : '';
  return errors.map((error) => {
    const base = toPath(error.instancePath);
    const join = (key: unknown) => `${prefix}${base ? `${base}.` : ''}${String(key)}`;
    if (error.keyword === 'additionalProperties') {
      return { path: join(error.params.additionalProperty), message: 'unknown field' };
    }
    if (error.keyword === 'required') {
      return { path: join(error.params.missingProperty), message: 'is required' };
    }
    return { path: `${prefix}${base}`, message: error.message ?? error.keyword };
  });
}

const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'payload_too_large',
    message: 'the request body is too large',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'malformed_json',
    message: 'the body is not valid JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', message: 'the body is empty' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_content_length',
    message: 'the body does not match its Content-Length',
  },
  FST_ERR_BAD_URL: {
    status: 400,
    code: 'malformed_url',
    message: 'the URL is malformed (a % not followed by two hex digits, or not UTF-8)',
  },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'a path segment is too long' },
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a request line or headers over
 * the size limit, an unknown method, garbage): answered on the socket, in the documented shape.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'the URL or the headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request_timeout', 'the request took too long to arrive']
        : [400, 'Bad Request', 'bad_request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Every error leaves as `{ error: { code, message, issues? } }`; internals are logged, never sent. */
export function createErrorHandler(logger: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).headers(error.headers).send(error.toBody());
    }
    if (error.validation) {
      const issues = schemaIssues(error.validation as AjvError[], error.validationContext);
      return reply.code(400).send(invalidRequest(issues).toBody());
    }
    if (ValidationError.isInstance(error)) {
      return reply.code(400).send(invalidRequest([...error.issues]).toBody());
    }
    if (StoreUnavailableError.isInstance(error)) {
      logger.error('store unavailable', { error, url: request.url });
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({
          error: {
            code: 'store_unavailable',
            message: 'the message store cannot be written; nothing was stored or sent, try again later',
          },
        });
    }
    const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
    if (known) return reply.code(known.status).send({ error: { code: known.code, message: known.message } });
    if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
      return reply
        .code(400)
        .send({ error: { code: 'malformed_json', message: 'the body is not valid JSON' } });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: 'bad_request', message: error.message } });
    }
    logger.error('unhandled error', { error, url: request.url, method: request.method });
    return reply.code(500).send({ error: { code: 'internal', message: 'internal error' } });
  };
}
