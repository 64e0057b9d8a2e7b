import { batchSchema, emailAddressSchema, messageSchema, percentageSchema } from './schemas.js';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        issues: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = {
  '400': { description: 'Invalid request: the field and the reason', ...json(ref('Error')) },
  '401': { description: 'Missing or wrong API key', ...json(ref('Error')) },
  '403': { description: 'The key lacks the scope', ...json(ref('Error')) },
  '405': {
    description: 'The path does not take this method (Allow lists those it takes)',
    ...json(ref('Error')),
  },
  '429': {
    description:
      'Rate limit of the key exceeded (`rate_limited`), or the key holds more than its share of a long queue (`backlog_share`); Retry-After says when to come back',
    ...json(ref('Error')),
  },
  '503': {
    description:
      'Store unavailable, gateway not ready, or the queue past its bound (`backlogged`, with Retry-After): nothing was stored (a stored message is always answered 202)',
    ...json(ref('Error')),
  },
};
const secured = { security: [{ bearer: [] }, { session: [] }] };

/** The API as OpenAPI 3.1, from the same schemas that validate requests. */
export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: '@msg gateway',
      version,
      description:
        'Send SMS, email and WhatsApp messages through pluggable providers with failover; delivery receipts; signed status callbacks.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key from the config' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'msg_session',
          description:
            "The dashboard's session (POST /dashboard/api/session); a request that changes something also needs the session's CSRF token in X-CSRF-Token",
        },
      },
      schemas: {
        Message: messageSchema,
        Batch: batchSchema,
        EmailAddress: emailAddressSchema,
        Error: errorSchema,
        Accepted: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            channel: { type: 'string' },
            status: { type: 'string' },
            createdAt: { type: 'string' },
          },
        },
      },
    },
    paths: {
      '/v1/messages': {
        get: {
          summary: 'The most recent messages to one recipient, newest first (scope monitor)',
          ...secured,
          parameters: [
            {
              name: 'to',
              in: 'query',
              required: true,
              schema: { type: 'string' },
              description: 'An E.164 number or an email address (any case)',
            },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'string', pattern: '^[0-9]+$' },
              description: '1-100, 20',
            },
            {
              name: 'before',
              in: 'query',
              schema: { type: 'string' },
              description: 'The `next` of the page before',
            },
          ],
          responses: { '200': { description: '{ messages, next }' }, ...errors },
        },
        post: {
          summary: 'Send one message (scope send)',
          ...secured,
          parameters: [
            { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } },
            {
              name: 'wait',
              in: 'query',
              schema: { type: 'string', enum: ['true', 'false'] },
              description: "Wait for the provider's answer (bounded by dispatch.syncTimeoutMs)",
            },
          ],
          requestBody: { required: true, ...json(ref('Message')) },
          responses: {
            '200': { description: 'Dispatched (wait=true): the message with its attempts' },
            '202': { description: 'Accepted and persisted', ...json(ref('Accepted')) },
            '409': { description: 'Idempotency-Key reused with another body', ...json(ref('Error')) },
            '413': { description: 'Body too large', ...json(ref('Error')) },
            '415': { description: 'The body is not application/json', ...json(ref('Error')) },
            ...errors,
          },
        },
      },
      '/v1/messages/batch': {
        post: {
          summary: 'Send many messages in one request (scope send)',
          ...secured,
          requestBody: { required: true, ...json(ref('Batch')) },
          responses: { '202': { description: 'Per-message results' }, ...errors },
        },
      },
      '/v1/messages/{id}': {
        get: {
          summary: 'Status, event history, attempts, cost and routing reason (scope read)',
          ...secured,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The message' },
            '404': { description: 'Unknown message' },
            ...errors,
          },
        },
      },
      '/v1/providers': {
        get: {
          summary: 'Provider health, breaker state and score; migrations (scope read)',
          ...secured,
          parameters: [{ name: 'check', in: 'query', schema: { type: 'string', enum: ['true', 'false'] } }],
          responses: { '200': { description: 'Providers' }, ...errors },
        },
      },
      '/v1/admin/providers/{id}/halt': {
        post: { summary: 'Take a provider out of routing (scope admin)', ...secured },
      },
      '/v1/admin/providers/{id}/resume': {
        post: { summary: 'Put a halted provider back (scope admin)', ...secured },
      },
      '/v1/admin/providers/{id}/reset-breaker': {
        post: { summary: "Close a provider's breaker (scope admin)", ...secured },
      },
      '/v1/admin/migrations/{id}/percentage': {
        post: {
          summary: "Set a migration's rollout percentage (scope admin)",
          ...secured,
          requestBody: { required: true, ...json(percentageSchema) },
        },
      },
      '/v1/admin/migrations/{id}/emergency-stop': {
        post: { summary: 'Send all traffic back (scope admin)', ...secured },
      },
      '/v1/admin/migrations/{id}/resume': {
        post: { summary: 'Lift an emergency stop (scope admin)', ...secured },
      },
      '/v1/stream': {
        get: {
          summary:
            'Server-sent events (scope monitor): `providers` every second (breaker, halted, scores, in flight, the last minute of sends, errors and latency), `migrations` when one changes',
          ...secured,
          responses: { '200': { description: 'text/event-stream' }, ...errors },
        },
      },
      '/dashboard/api/session': {
        post: {
          summary: 'Sign in to the dashboard: an admin or monitor key for a session cookie',
          requestBody: {
            required: true,
            ...json({ type: 'object', required: ['key'], properties: { key: { type: 'string' } } }),
          },
          responses: {
            '201': { description: 'Signed in: key id, role, CSRF token; Set-Cookie msg_session' },
            '401': { description: 'The key was not accepted', ...json(ref('Error')) },
            '403': {
              description: 'The key has neither the admin nor the monitor scope',
              ...json(ref('Error')),
            },
            '429': { description: 'Too many failed sign-ins from this address', ...json(ref('Error')) },
          },
        },
        get: {
          summary: 'Who is signed in, with the CSRF token',
          responses: { '200': { description: 'The session' } },
        },
        delete: {
          summary: 'Sign out (needs the CSRF token)',
          responses: { '204': { description: 'Signed out; the cookie is cleared' } },
        },
      },
      '/webhooks/{providerInstanceId}': {
        post: {
          summary: "A provider's delivery receipts; verified by the provider's plugin",
          responses: {
            '200': { description: 'Accepted' },
            '401': { description: 'Bad or missing signature' },
          },
        },
        get: {
          summary:
            "A provider's subscription handshake (WhatsApp: hub.mode, hub.verify_token, hub.challenge) or receipts sent as a query string; verified by the provider's plugin",
          responses: {
            '200': { description: "Accepted: the body is what the plugin answers (WhatsApp's challenge)" },
            '401': { description: 'Wrong verify token, or a request the plugin cannot verify' },
          },
        },
      },
      '/healthz': { get: { summary: 'The process is alive', responses: { '200': { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Providers loaded, the store open and writable, the queue within its bound',
          responses: {
            '200': {
              description:
                'ready, with the queue (queued, in flight, the concurrency limit, the oldest age); `degraded` (with `sharedState`) while the shared router state (Redis) is unreachable and the instance routes on its last known copy',
            },
            '503': {
              description:
                'starting, stopping, the store cannot be written, or the queue past its bound (`backlogged`, with Retry-After)',
            },
          },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text format' } } },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
  };
}
