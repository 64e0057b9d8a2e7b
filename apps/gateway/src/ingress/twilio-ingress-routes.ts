import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Scope } from '../http/auth.js';
import type { ServerContext } from '../http/server-context.js';
import { TwilioApiError, twilioErrorHandler } from './twilio-errors.js';
import { twilioIdempotency, twilioMessageRequest } from './twilio-message-request.js';
import { messageIdOfSid, TWILIO_API_VERSION, twilioMessageResource, twilioSid } from './twilio-resource.js';

type AccountRequest = FastifyRequest<{ Params: { accountSid: string } }>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The parameters of a Twilio request, for errors that quote them (`The 'To' number …`). */
    twilioForm?: URLSearchParams;
  }
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Twilio's Messages API on the gateway (`/2010-04-01/...`, registered with that prefix): an
 * application keeps its twilio SDK, points it here and uses an account SID and auth token that the
 * config gives one of its API keys (`apiKeys[].ingress.twilio`). What it sends is accepted like
 * any `/v1` message; answers, errors and status callbacks are Twilio's.
 */
export async function twilioIngressRoutes(
  app: FastifyInstance,
  context: ServerContext,
  allowedMethods: (path: string) => string[],
): Promise<void> {
  // The SDK posts forms; whatever the content type, the body is read as one.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler(twilioErrorHandler((message, fields) => context.logger.error(message, fields)));
  app.setNotFoundHandler((request) => {
    const path = request.url.split('?')[0] ?? '';
    if (allowedMethods(path).length > 0) throw new TwilioApiError(405, 20004, 'Method not allowed');
    throw new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
  });

  /** Basic `AccountSid:AuthToken` of a key with Twilio ingress, for the account the path names. */
  const authenticate = (scope: Scope) => async (request: AccountRequest) => {
    const credentials = basicCredentials(request.headers.authorization);
    const entry =
      credentials && context.apiKeys.authenticateTwilio(credentials.username, credentials.password);
    if (!entry || entry.config.ingress?.twilio?.accountSid !== request.params.accountSid) {
      throw new TwilioApiError(401, 20003, 'Authenticate', {
        'www-authenticate': 'Basic realm="Twilio API"',
      });
    }
    request.principal = await context.apiKeys.admit(entry, scope);
  };

  app.post<{ Params: { accountSid: string }; Body: string | undefined }>(
    '/Accounts/:accountSid/Messages.json',
    { onRequest: authenticate('send') },
    async (request, reply) => {
      const { accountSid } = request.params;
      const form = new URLSearchParams(request.body ?? '');
      request.twilioForm = form;
      // A 503 here means nothing was stored.
      const runtime = context.runtime();
      const { body, ingress } = twilioMessageRequest(form, accountSid);
      const token = request.headers['i-twilio-idempotency-token'];
      const result = await context.intake.accept(runtime, {
        body,
        apiKeyId: request.principal?.keyId as string,
        idempotency:
          typeof token === 'string' && token ? twilioIdempotency(token, accountSid, form) : undefined,
        ingress,
      });
      if (result.outcome === 'conflict') {
        throw new TwilioApiError(
          409,
          20409,
          `Conflict: I-Twilio-Idempotency-Token was first used with other parameters (message ${twilioSid(result.messageId)})`,
        );
      }
      // A replay answers the first message as it stands now, and sends nothing again. A new one is
      // answered `queued`, as Twilio answers a create, even when it is already on its way.
      const view =
        result.outcome === 'created'
          ? { ...result.message, dispatchState: 'queued' as const }
          : result.message;
      return reply.code(201).send(twilioMessageResource(view));
    },
  );

  app.get<{ Params: { accountSid: string; messageFile: string } }>(
    '/Accounts/:accountSid/Messages/:messageFile',
    { onRequest: authenticate('read') },
    async (request, reply) => {
      const { accountSid, messageFile } = request.params;
      const sid = messageFile.replace(/\.json$/, '');
      const id = messageIdOfSid(sid);
      const message = id ? await context.store.get(id) : undefined;
      // Another key's message, or one sent through another API, is as good as absent.
      if (
        !id ||
        !message ||
        message.apiKeyId !== request.principal?.keyId ||
        message.ingress?.api !== 'twilio' ||
        message.ingress.accountSid !== accountSid
      ) {
        throw new TwilioApiError(
          404,
          20404,
          `The requested resource /${TWILIO_API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json was not found`,
        );
      }
      return reply.send(twilioMessageResource(message, await context.store.events(id)));
    },
  );
}
