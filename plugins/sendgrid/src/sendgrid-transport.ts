import { STATUS_CODES } from 'node:http';
import { Client } from '@sendgrid/client';
import { classes } from '@sendgrid/helpers';
import { Pool } from 'undici';

/** What one SDK call carries down to the HTTP layer. */
export class CallState {
  /** Set once the request reached the socket layer: before that, a failure means nothing left. */
  dispatched = false;
  constructor(readonly signal: AbortSignal | undefined) {}
}

/** The request `Client.createRequest` builds (axios-shaped: auth, default headers and baseURL applied). */
interface BuiltRequest {
  url?: string;
  baseURL?: string;
  method?: string;
  headers?: Record<string, unknown>;
  data?: unknown;
  params?: Record<string, unknown> | null;
}

type ClientRequest = Parameters<Client['request']>[0];
type ClientResult = Awaited<ReturnType<Client['request']>>;
type ClientCallback = Parameters<Client['request']>[1];

/**
 * Only the headers @sendgrid/client itself sets go on the wire: @sendgrid/mail also copies the
 * email's own headers into the HTTP request headers, which SendGrid ignores and which may hold
 * bytes an HTTP header cannot.
 */
const FORWARDED_HEADERS = new Set(['accept', 'content-type', 'user-agent', 'authorization', 'on-behalf-of']);

function parseBody(text: string): unknown {
  if (!text) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * One provider instance's @sendgrid/client, handed to its own `MailService` with `setClient` (the
 * SDK's hook for a custom client). It keeps the SDK's request building (`createRequest`: API key,
 * default headers, baseUrl, On-Behalf-Of) and its `Response`/`ResponseError` results, but sends
 * through an undici keep-alive `Pool` instead of axios, whose per-request config merging cost
 * about three times the CPU of the rest of the SDK (measured; see the README).
 *
 * `Client.request` takes no AbortSignal, and `MailService.send` calls it synchronously, so `call()`
 * sets the call's state for exactly that span. (An AsyncLocalStorage would carry it too, but turns
 * on promise hooks for the whole process.)
 */
export class SendgridHttpClient extends Client {
  private readonly pool: Pool;
  private pending: CallState | undefined;

  constructor(origin: string, connections: number) {
    super();
    this.pool = new Pool(origin, { connections, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  call<T>(state: CallState, invoke: () => Promise<T>): Promise<T> {
    this.pending = state;
    try {
      return invoke();
    } finally {
      this.pending = undefined;
    }
  }

  override request(data: ClientRequest, callback?: ClientCallback): Promise<ClientResult> {
    const built = this.createRequest(data) as unknown as BuiltRequest;
    const promise = this.send(built, this.pending ?? new CallState(undefined));
    if (callback) {
      promise.then(
        (result) => callback(null as never, result),
        (error: unknown) => callback(error as never, null as never),
      );
    }
    return promise;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async send(built: BuiltRequest, state: CallState): Promise<ClientResult> {
    const url = new URL((built.url ?? '').replace(/^\//, ''), built.baseURL);
    for (const [key, value] of Object.entries(built.params ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.append(key, String(value));
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(built.headers ?? {})) {
      if (FORWARDED_HEADERS.has(name.toLowerCase()) && value !== undefined && value !== null) {
        headers[name] = String(value);
      }
    }
    const body =
      built.data === undefined || built.data === null || typeof built.data === 'string'
        ? (built.data ?? undefined)
        : JSON.stringify(built.data);
    state.dispatched = true;
    const answer = await this.pool.request({
      method: (built.method ?? 'GET').toUpperCase() as 'GET',
      path: `${url.pathname}${url.search}`,
      headers,
      body,
      signal: state.signal ?? null,
    });
    const parsed = parseBody(await answer.body.text());
    if (answer.statusCode >= 300) {
      // What @sendgrid/client rejects with for an HTTP error: `.code`, `.response.{headers, body}`.
      const ResponseError = classes.ResponseError as unknown as new (response: object) => Error;
      throw new ResponseError({
        status: answer.statusCode,
        statusText: STATUS_CODES[answer.statusCode] ?? '',
        headers: answer.headers,
        data: parsed,
      });
    }
    return [
      new classes.Response(answer.statusCode, parsed as object, answer.headers),
      parsed,
    ] as ClientResult;
  }
}
