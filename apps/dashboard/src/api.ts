/** Calls to the gateway from the page: the session cookie goes along, changes carry the CSRF token. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrf: { header: string; token: string } | undefined;
let onSessionLost: (() => void) | undefined;

/** The CSRF token of the session in force (none after sign-out). */
export function rememberCsrfToken(header: string | undefined, token: string | undefined): void {
  csrf = header && token ? { header, token } : undefined;
}

/** Called when the gateway answers 401 to a signed-in page: the session ended. */
export function whenSessionLost(handler: () => void): void {
  onSessionLost = handler;
}

/**
 * A URL of the gateway relative to the page (`/dashboard/`), so that a proxy mounting the gateway
 * under a path prefix keeps working: `/v1/…` becomes `../v1/…`, anything else stays below the page.
 */
export function gatewayUrl(path: string): string {
  const relative = path.startsWith('/v1/') ? `..${path}` : path.replace(/^\//, '');
  return new URL(relative, window.location.href).toString();
}

export async function api<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers[csrf.header] = csrf.token;
  let response: Response;
  try {
    response = await fetch(gatewayUrl(path), {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiError(0, 'network', 'the gateway cannot be reached');
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => undefined)) as
    | { error?: { code?: string; message?: string } }
    | undefined;
  if (!response.ok) {
    const code = data?.error?.code ?? 'error';
    if (response.status === 401 && csrf && !path.endsWith('api/session')) onSessionLost?.();
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      code,
      data?.error?.message ?? `the gateway answered ${response.status}`,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  return data as T;
}

/** Query string of the defined values. */
export function query(values: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
