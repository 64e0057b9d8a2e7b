import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER, SESSION_COOKIE } from './auth.js';
import { sessionCookie } from './cookies.js';
import { HttpError } from './http-error.js';
import type { ServerContext } from './server-context.js';
import { csrfMatches, type Session, type Sessions } from './sessions.js';
import { SignInLimiter } from './sign-in-limiter.js';

export const SESSION_PATH = '/dashboard/api/session';

function sessionView(session: Session) {
  return {
    keyId: session.keyId,
    // What the console offers: `admin` changes things, `monitor` only looks.
    role: session.scopes.has('admin') ? 'admin' : 'monitor',
    scopes: [...session.scopes].sort(),
    csrfToken: session.csrfToken,
    csrfHeader: CSRF_HEADER,
    expiresAt: new Date(session.expiresAt).toISOString(),
  };
}

const secure = (request: FastifyRequest) => request.protocol === 'https';

/**
 * Sign-in for the dashboard: an admin or monitor API key is exchanged once for a session cookie,
 * so the key never stays in the browser. A wrong key gets one clear message whatever was wrong
 * with it, costs the same time as a right one (every key is compared), and failures are limited
 * per client address. Nothing here logs or echoes a key.
 */
export function registerSessionRoutes(
  app: FastifyInstance,
  context: ServerContext,
  sessions: Sessions,
): void {
  const limiter = new SignInLimiter(context.now);
  const { apiKeys } = context;
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.post<{ Body: { key: string } }>(
    SESSION_PATH,
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['key'],
          properties: { key: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const wait = limiter.waitFor(request.ip);
      if (wait !== undefined) {
        throw new HttpError(
          429,
          'too_many_attempts',
          `too many failed sign-ins from this address; try again in ${wait} s`,
          undefined,
          { 'retry-after': String(wait) },
        );
      }
      const entry = apiKeys.authenticate(request.body.key);
      if (!entry) {
        limiter.failed(request.ip);
        throw new HttpError(401, 'invalid_key', 'this key was not accepted: check it and try again');
      }
      if (!entry.scopes.has('monitor')) {
        throw new HttpError(
          403,
          'not_an_operator_key',
          'this key cannot open the dashboard: it needs the admin or monitor scope',
        );
      }
      const { id, session } = await sessions.create(entry.config.id, entry.scopes);
      reply.header(
        'set-cookie',
        sessionCookie(SESSION_COOKIE, id, {
          maxAgeSeconds: sessions.maxAgeSeconds(session),
          secure: secure(request),
        }),
      );
      return reply.code(201).send(sessionView(session));
    },
  );

  app.get(SESSION_PATH, async (request, reply) => {
    noStore(reply);
    const signedIn = await apiKeys.sessionOf(request);
    if (!signedIn) throw new HttpError(401, 'no_session', 'not signed in');
    return sessionView(signedIn.session);
  });

  app.delete(SESSION_PATH, async (request, reply) => {
    noStore(reply);
    const signedIn = await apiKeys.sessionOf(request);
    if (signedIn) {
      if (!csrfMatches(signedIn.session, request.headers[CSRF_HEADER])) {
        throw new HttpError(
          403,
          'csrf_token_required',
          `signing out needs the session's CSRF token in ${CSRF_HEADER}`,
        );
      }
      await sessions.delete(signedIn.id);
    }
    reply.header(
      'set-cookie',
      sessionCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: secure(request) }),
    );
    return reply.code(204).send();
  });
}
