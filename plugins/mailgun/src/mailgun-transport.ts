import type { APIResponse, Interfaces, onCallReqConfig, RequestData } from 'mailgun.js/definitions';
import { Agent, type Dispatcher } from 'undici';
import { encodeMultipart } from './mailgun-multipart.js';

/** An HTTP answer outside 2xx, with what the error mapping needs (mailgun.js's APIError drops headers). */
export class MailgunHttpError extends Error {
  readonly status: number;
  /** Parsed JSON, or `{ message: text }` for a plain-text answer (401 "Forbidden"). */
  readonly body: { message?: string; error?: string } & Record<string, unknown>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;

  constructor(
    status: number,
    body: MailgunHttpError['body'],
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ) {
    super(body.message ?? body.error ?? `HTTP ${status}`);
    this.name = 'MailgunHttpError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** The caller's signal was already aborted when the SDK handed over the request: nothing left. */
export class AbortedBeforeSendError extends Error {
  constructor(readonly reason: unknown) {
    super('aborted before the request was sent');
    this.name = 'AbortedBeforeSendError';
  }
}

export interface MailgunTransportOptions {
  username: string;
  key: string;
  /** Keep-alive sockets per origin. */
  connections: number;
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * A form field that carries a call's tag through the SDK to this transport, which takes it out
 * before the request leaves: Mailgun never sees it. No Mailgun field has spaces or brackets.
 */
export const CALL_FIELD = '[msg] call';

/**
 * mailgun.js's request provider, on undici instead of the SDK's bundled axios. The SDK builds
 * the request (path, form fields, files) and parses the answer; this sends it over keep-alive
 * sockets owned by one provider instance. The SDK has no per-call options, so the caller's
 * AbortSignal reaches the request by `withSignal`: a form request carries the call's tag in a
 * field (`CALL_FIELD`) that this transport takes out; a request the SDK hands over synchronously
 * within the call (its GETs) is the call being made now. Not an AsyncLocalStorage: on Node 20 it
 * turns on promise hooks for the whole process (about 5 % on every other request).
 */
export class MailgunTransport implements Interfaces.IRequestProvider {
  private readonly agent: Agent;
  private readonly authorization: string;
  private readonly headers: Record<string, string> = {};
  private readonly calls = new Map<string, AbortSignal>();
  private nextTag = 0;
  /** The signal of the call being made now (set for the synchronous span of `withSignal`). */
  private pending: AbortSignal | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: MailgunTransportOptions) {
    this.agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000 });
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.key}`).toString('base64')}`;
  }

  /** Runs `run` (one SDK call) with `signal` reaching its request; form data must carry `tag` in `CALL_FIELD`. */
  withSignal<T>(signal: AbortSignal, run: (tag: string) => Promise<T>): Promise<T> {
    const tag = String(++this.nextTag);
    this.calls.set(tag, signal);
    this.pending = signal;
    let result: Promise<T>;
    try {
      result = run(tag);
    } catch (error) {
      this.calls.delete(tag);
      throw error;
    } finally {
      this.pending = undefined;
    }
    return result.finally(() => this.calls.delete(tag));
  }

  /** The call's signal, from its tag in the form (taken out) or as the call being made now. */
  private signalOf(data: RequestData | undefined): AbortSignal | undefined {
    let signal = this.pending;
    this.pending = undefined;
    if (data instanceof FormData) {
      const tag = data.get(CALL_FIELD);
      if (typeof tag === 'string') {
        data.delete(CALL_FIELD);
        signal = this.calls.get(tag) ?? signal;
      }
    }
    return signal;
  }

  setSubAccountHeader(subAccountId: string): void {
    this.headers['X-Mailgun-On-Behalf-Of'] = subAccountId;
  }

  resetSubAccountHeader(): void {
    delete this.headers['X-Mailgun-On-Behalf-Of'];
  }

  async makeRequest(
    url: string,
    method: string,
    data: { params?: URLSearchParams; data?: RequestData },
    config?: onCallReqConfig,
  ): Promise<APIResponse> {
    const signal = this.signalOf(data.data);
    const target = new URL(url);
    if (data.params) for (const [name, value] of data.params) target.searchParams.append(name, value);
    const headers: Headers = { ...this.headers, authorization: this.authorization };
    const body = await encodeBody(data.data, config, headers);
    if (signal?.aborted) throw new AbortedBeforeSendError(signal.reason);
    const response = await this.agent.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: method.toUpperCase() as Dispatcher.HttpMethod,
      headers,
      body,
      signal,
    });
    const text = await response.body.text();
    const contentType = String(response.headers['content-type'] ?? '');
    const parsed = parseBody(text, contentType);
    if (response.statusCode >= 400) throw new MailgunHttpError(response.statusCode, parsed, response.headers);
    // A 2xx without `id` (baseUrl without the API answers "Mailgun Magnificent API") is caught by the provider.
    return { status: response.statusCode, body: parsed };
  }

  /** Idempotent: the host and a test may both close an instance. */
  close(): Promise<void> {
    this.closing ??= this.agent.close();
    return this.closing;
  }
}

function parseBody(text: string, contentType: string): MailgunHttpError['body'] {
  if (contentType.includes('json') || text.startsWith('{')) {
    try {
      return JSON.parse(text) as MailgunHttpError['body'];
    } catch {
      // A proxy's HTML error page with a JSON content type: keep the text.
    }
  }
  return { message: text };
}

/** The body as the SDK's axios would send it: multipart for FormData, else JSON or URL-encoded. */
async function encodeBody(
  data: RequestData | undefined,
  config: onCallReqConfig | undefined,
  headers: Headers,
): Promise<string | Buffer | undefined> {
  if (data === undefined || data === null) return undefined;
  if (data instanceof FormData) {
    const { body, contentType } = await encodeMultipart(data);
    headers['content-type'] = contentType;
    return body;
  }
  if (config?.isApplicationJSON) {
    headers['content-type'] = 'application/json';
    return typeof data === 'string' ? data : JSON.stringify(data);
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  if (typeof data === 'string') return data;
  return new URLSearchParams(data as Record<string, string>).toString();
}
