import Fastify, { type FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/config-schema.js';
import { sendgridIngressRoutes } from '../ingress/sendgrid-ingress-routes.js';
import { twilioIngressRoutes } from '../ingress/twilio-ingress-routes.js';
import { webhookRoutes } from '../webhooks/webhook-routes.js';
import { trackAllowedMethods } from './allowed-methods.js';
import { registerCampaignRoutes } from './campaigns-routes.js';
import { registerCreditRoutes } from './credits-routes.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { answerClientError, createErrorHandler } from './error-handler.js';
import { HttpError } from './http-error.js';
import { registerMessageSearchRoutes } from './message-search-routes.js';
import { registerMessageRoutes } from './messages-routes.js';
import { registerMigrationRoutes } from './migrations-routes.js';
import { registerProviderRoutes } from './providers-routes.js';
import type { ServerContext } from './server-context.js';
import { registerSessionRoutes } from './session-routes.js';
import { registerStreamRoutes } from './stream-routes.js';
import { registerSystemRoutes } from './system-routes.js';

/**
 * `server.trustProxy` as Fastify takes it. Fastify ignores a bare hop count (it trusts nothing,
 * since a count alone cannot check the peer), so a count becomes the function it used to be: the
 * `hops` nearest addresses are proxies, whoever they are (as with `true`, only safe when the
 * gateway can be reached through those proxies alone).
 */
export function trustProxyOption(
  setting: GatewayConfig['server']['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  return (_address, hop) => hop < setting;
}

/** The Fastify app: API, webhooks, health, metrics and the OpenAPI document. */
export async function buildServer(context: ServerContext): Promise<FastifyInstance> {
  const errorHandler = createErrorHandler(context.logger);
  const app = Fastify({
    logger: false,
    bodyLimit: context.config.server.bodyLimitBytes,
    // `request.ip` (webhook allow-lists) is the X-Forwarded-For client only behind a trusted proxy.
    trustProxy: trustProxyOption(context.config.server.trustProxy),
    // Unknown fields are errors, never silently dropped; types are never coerced.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
    // Every error leaves in the documented shape, also those Fastify answers before routing (a
    // malformed URL, an over-long path segment) and those Node answers before Fastify.
    frameworkErrors: errorHandler,
    clientErrorHandler: answerClientError,
    // While closing, requests still reach the routes, which answer 503 `not_ready` themselves.
    return503OnClosing: false,
  });
  app.setErrorHandler(errorHandler);
  // Bodies are JSON: text/plain would reach the schema as a string instead of a 415.
  app.removeContentTypeParser('text/plain');
  const allowedMethods = trackAllowedMethods(app);
  app.setNotFoundHandler((request) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      throw new HttpError(
        405,
        'method_not_allowed',
        `${request.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`,
        undefined,
        { allow: allowed.join(', ') },
      );
    }
    throw new HttpError(404, 'not_found', `no route ${request.method} ${path}`);
  });
  registerSystemRoutes(app, context);
  // Before the API routes: its hooks push admin changes to open dashboards.
  registerStreamRoutes(app, context);
  registerMessageRoutes(app, context);
  registerMessageSearchRoutes(app, context);
  registerProviderRoutes(app, context);
  registerMigrationRoutes(app, context);
  registerCreditRoutes(app, context);
  // Its own scope: multipart parsing applies to campaign uploads only.
  await app.register(async (scope) => registerCampaignRoutes(scope, context));
  const { sessions } = context.apiKeys;
  if (context.config.dashboard.enabled && sessions) {
    registerSessionRoutes(app, context, sessions);
    await registerDashboardRoutes(app, context);
  }
  // Its own encapsulated scope: raw-body parsing applies to webhooks only.
  await app.register(async (scope) => webhookRoutes(scope, context));
  // Drop-in ingress: Twilio's and SendGrid's APIs, each with its own body parsing and error shape.
  await app.register(async (scope) => twilioIngressRoutes(scope, context, allowedMethods), {
    prefix: '/2010-04-01',
  });
  await app.register(async (scope) => sendgridIngressRoutes(scope, context), { prefix: '/v3' });
  return app;
}
