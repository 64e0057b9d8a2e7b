import { request } from 'undici';

export interface ClientOptions {
  url?: string | undefined;
  apiKey?: string | undefined;
}

export type GatewayCall = (
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: Record<string, unknown> }>;

/** Calls a running gateway's API: `--url` (or MSG_URL), `--api-key` (or MSG_API_KEY). */
export function gatewayClient(options: ClientOptions, fail: (line: string) => never): GatewayCall {
  const base = (options.url ?? process.env.MSG_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const key = options.apiKey ?? process.env.MSG_API_KEY;
  if (!key) fail('an API key is needed: --api-key or MSG_API_KEY');
  return async (method, path, body) => {
    const response = await request(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.body.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    return { status: response.statusCode, body: parsed };
  };
}
