import type { FastifyInstance } from 'fastify';

interface RouteShape {
  method: string;
  pattern: RegExp;
}

function compile(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * The methods each registered path answers, so that a known path with the wrong method is a 405
 * with `Allow` rather than a 404. Register before the routes: it learns them from `onRoute`.
 */
export function trackAllowedMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: RouteShape[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = compile(route.url);
    for (const method of methods) routes.push({ method: String(method).toUpperCase(), pattern });
  });
  return (path) => {
    const allowed = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) allowed.add(route.method);
    return [...allowed].sort();
  };
}
