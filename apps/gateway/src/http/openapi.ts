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
  '402': {
    description:
      'Credits on and the account cannot cover the reservation (`insufficient_credit`): `detail` has the account, currency, balance, required amount and shortfall; nothing was queued',
    ...json(ref('Error')),
  },
  '503': {
    description:
      'Store unavailable, gateway not ready, or the queue past its bound (`backlogged`, with Retry-After): nothing was stored (a stored message is always answered 202)',
    ...json(ref('Error')),
  },
};
const secured = { security: [{ bearer: [] }, { session: [] }] };
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

const campaignSchema = {
  type: 'object',
  required: ['template'],
  properties: {
    name: { type: 'string', maxLength: 200 },
    channel: { type: 'string', enum: ['sms', 'email'], description: 'sms when absent' },
    template: {
      type: 'object',
      properties: { text: { type: 'string' }, subject: { type: 'string' }, html: { type: 'string' } },
      description:
        '`{{name}}` takes the recipient variable `name`; SMS: text; email: subject and text and/or html',
    },
    from: { description: 'SMS sender id or number; email address or { email, name }' },
    provider: { type: 'string', description: 'Force this provider instance (it must serve the channel)' },
    route: {
      type: 'string',
      description:
        'Send through this route (by id) instead of the one its match picks; a route or a provider, not both',
    },
    ratePerSecond: { type: 'number', description: 'Messages per second at most' },
    scheduledAt: { type: 'string', format: 'date-time' },
    callbackUrl: { type: 'string', description: "Each message's status callbacks" },
    tags: { type: 'array', items: { type: 'string' } },
    recipients: {
      type: 'array',
      maxItems: 10000,
      items: {},
      description: 'JSON only: numbers or addresses, or { to, variables } / { to, ...variables }',
    },
  },
};

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
        Campaign: campaignSchema,
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
      '/v1/campaigns': {
        post: {
          summary:
            'Create a campaign (scope send): JSON with inline `recipients` (up to 10,000), or multipart/form-data with a `campaign` JSON field then a CSV (`to` column + variables) or NDJSON file, streamed. Answers the draft with its validation report; a failed upload leaves no campaign',
          ...secured,
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('Campaign') },
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['campaign', 'recipients'],
                  properties: {
                    campaign: {
                      type: 'string',
                      description: 'The campaign as JSON, without recipients; before the file',
                    },
                    recipients: {
                      type: 'string',
                      format: 'binary',
                      description: 'text/csv (.csv) or application/x-ndjson (.ndjson)',
                    },
                  },
                },
              },
            },
          },
          responses: {
            '201': {
              description:
                'The draft, with `report` (invalid lines with their line, duplicates, segments, estimated cost)',
            },
            '413': { description: 'The file is larger than the upload limit', ...json(ref('Error')) },
            ...errors,
          },
        },
        get: {
          summary: "The key's campaigns, newest first, with progress (scope read; monitor sees all)",
          ...secured,
          responses: { '200': { description: '{ campaigns }' }, ...errors },
        },
      },
      '/v1/campaigns/{id}': {
        get: {
          summary:
            'A campaign: definition, validation report, bulk path or not, and progress (counts by status, rate, estimated end, cost so far) (scope read)',
          ...secured,
          parameters: [idParameter],
          responses: {
            '200': { description: 'The campaign' },
            '404': { description: 'Unknown campaign' },
            ...errors,
          },
        },
      },
      '/v1/campaigns/{id}/start': {
        post: {
          summary:
            'Start a draft (scope send): reserves its estimated cost when credits are on (402 with the shortfall), then sends at once or at `scheduledAt`',
          ...secured,
          parameters: [idParameter],
          responses: {
            '200': { description: 'The campaign' },
            '409': { description: 'Not a draft', ...json(ref('Error')) },
            ...errors,
          },
        },
      },
      '/v1/campaigns/{id}/pause': {
        post: {
          summary: 'Hold a running or scheduled campaign (scope send)',
          ...secured,
          parameters: [idParameter],
        },
      },
      '/v1/campaigns/{id}/resume': {
        post: { summary: 'Go on with a paused campaign (scope send)', ...secured, parameters: [idParameter] },
      },
      '/v1/campaigns/{id}/cancel': {
        post: {
          summary:
            'End a campaign (scope send): recipients not sent yet are cancelled and what they held is released; messages already at a provider finish',
          ...secured,
          parameters: [idParameter],
        },
      },
      '/v1/campaigns/{id}/aggregates': {
        get: {
          summary: 'Counts by status, provider and error kind (scope read)',
          ...secured,
          parameters: [idParameter],
        },
      },
      '/v1/campaigns/{id}/results': {
        get: {
          summary: 'Per-recipient results in upload order, paginated by `after` (scope read)',
          ...secured,
          parameters: [
            idParameter,
            {
              name: 'after',
              in: 'query',
              schema: { type: 'string', pattern: '^[0-9]+$' },
              description: 'The last sequence seen',
            },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'string', pattern: '^[0-9]+$' },
              description: '1-1000, 100',
            },
          ],
        },
      },
      '/v1/campaigns/{id}/results.csv': {
        get: {
          summary: 'Every per-recipient result as CSV, streamed (scope read)',
          ...secured,
          parameters: [idParameter],
        },
      },
      '/v1/campaigns/bulk-rollout': {
        get: {
          summary: "The bulk path's rollout: enabled, percentage of campaigns (scope monitor)",
          ...secured,
        },
        put: {
          summary:
            "Set the bulk path's rollout (scope admin, audited): `{ enabled, percentage, reason }`; takes effect at the next batch of every running campaign",
          ...secured,
        },
      },
      '/v1/credits': {
        get: { summary: "The calling key's credit account: balance, held, debited (scope read)", ...secured },
      },
      '/v1/credits/{account}': {
        get: { summary: 'A credit account (its own keys, or scope monitor)', ...secured },
      },
      '/v1/credits/{account}/ledger': {
        get: { summary: "The account's ledger entries, newest first (`before`, `limit`)", ...secured },
      },
      '/v1/credits/{account}/top-ups': {
        post: {
          summary: 'Add credit (scope admin): `{ amount: "25.00", reference }`, appended to the ledger',
          ...secured,
          responses: { '201': { description: 'The entry and the new balance' }, ...errors },
        },
      },
      '/v1/reports/costs': {
        get: {
          summary:
            'Cost of accepted messages grouped by `groupBy` (provider, side, campaign, day; comma-separated) between `from` and `to` (ISO dates; the last 30 days) (scope read: own messages; monitor: all)',
          ...secured,
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
