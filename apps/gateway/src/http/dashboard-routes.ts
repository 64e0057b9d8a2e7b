import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-error.js';
import type { ServerContext } from './server-context.js';

/** The built dashboard (`@msg/dashboard`'s `dist`), or undefined when it is not built. */
export function dashboardAssets(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@msg/dashboard/package.json');
    const directory = join(dirname(manifest), 'dist');
    return existsSync(join(directory, 'index.html')) ? directory : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pages may load only what the gateway itself serves: no CDN, no inline script or style, no
 * framing. (Preact and uPlot set styles through the CSSOM, which the policy allows.)
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the dashboard's static assets at `/dashboard/` (precompressed copies where the browser
 * takes them). Fingerprinted assets are cached for good; the page itself is revalidated, so a new
 * version shows on the next load.
 */
export async function registerDashboardRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const root = dashboardAssets();
  // `dashboard/` resolves against `/dashboard`, also behind a proxy that mounts the gateway under a path.
  app.get('/dashboard', async (_request, reply) => reply.redirect('dashboard/', 308));
  if (!root) {
    context.logger.warn(
      'the dashboard is not built: /dashboard answers 503 until `npx -y pnpm@10 --filter @msg/dashboard build` has run',
    );
    app.get('/dashboard/*', async () => {
      throw new HttpError(
        503,
        'dashboard_not_built',
        'the dashboard is not built: run `npx -y pnpm@10 --filter @msg/dashboard build`',
      );
    });
    return;
  }
  await app.register(async (scope) => {
    scope.addHook('onSend', async (request, reply) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      reply.header(
        'cache-control',
        request.url.startsWith('/dashboard/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    });
    await scope.register(fastifyStatic, {
      root,
      prefix: '/dashboard/',
      preCompressed: true,
      decorateReply: false,
      cacheControl: false,
      index: ['index.html'],
    });
  });
}
