import { Agent } from 'undici';

/**
 * The slice of a Smithy `HttpRequest` this handler reads. Declared locally so the plugin does not
 * depend on `@smithy/*` packages the AWS SDK may move between releases.
 */
interface SmithyHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number | undefined;
  path: string;
  query?: Record<string, string | string[] | null> | undefined;
  headers: Record<string, string>;
  body?: unknown;
}

interface SmithyHandlerOptions {
  abortSignal?: AbortSignal | { aborted: boolean } | undefined;
}

export interface UndiciHttpHandlerOptions {
  /** Keep-alive sockets per origin. */
  connections: number;
}

function queryString(query: SmithyHttpRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const name = encodeURIComponent(key);
    if (value === null) parts.push(name);
    else if (Array.isArray(value))
      for (const item of value) parts.push(`${name}=${encodeURIComponent(item)}`);
    else parts.push(`${name}=${encodeURIComponent(value)}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

interface MiddlewareArguments {
  input: object;
  request?: unknown;
}

/**
 * A Smithy request handler on an undici `Agent`: keep-alive sockets, the caller's abort signal
 * handed straight to the socket, the response body read whole (SES answers are small JSON).
 *
 * The signal does not travel as `client.send(command, { abortSignal })`: any per-call option
 * makes the client rebuild its middleware stack on every send (and drop `cacheMiddleware`),
 * which costs about a quarter of the SDK's CPU per send. Instead `track(input, signal)` ties the
 * signal to the command input, and `middleware` (placed after signing) moves it to the request.
 */
export class UndiciHttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly agent: Agent;
  private closing: Promise<void> | undefined;
  private readonly signals = new WeakMap<object, AbortSignal>();

  /** Smithy middleware: hands the signal tracked for the command input to its HTTP request. */
  readonly middleware =
    (next: (args: MiddlewareArguments) => Promise<unknown>) =>
    (args: MiddlewareArguments): Promise<unknown> => {
      const signal = this.signals.get(args.input);
      if (signal && typeof args.request === 'object' && args.request !== null) {
        this.signals.set(args.request, signal);
      }
      return next(args);
    };

  constructor(options: UndiciHttpHandlerOptions) {
    this.agent = new Agent({ connections: options.connections, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  /** Aborts the HTTP request made for this command input when `signal` aborts. */
  track<T extends object>(input: T, signal: AbortSignal): T {
    this.signals.set(input, signal);
    return input;
  }

  async handle(request: SmithyHttpRequest, options: SmithyHandlerOptions = {}) {
    const port = request.port ? `:${request.port}` : '';
    const signal = this.signals.get(request) ?? (options.abortSignal as AbortSignal | undefined);
    const response = await this.agent.request({
      origin: `${request.protocol}//${request.hostname}${port}`,
      path: `${request.path}${queryString(request.query)}`,
      method: request.method as 'POST',
      headers: request.headers,
      body: request.body as string | Uint8Array | undefined,
      signal,
    });
    const body = new Uint8Array(await response.body.arrayBuffer());
    return {
      response: {
        statusCode: response.statusCode,
        reason: undefined,
        headers: flattenHeaders(response.headers),
        body,
      },
    };
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  /** Called by `client.destroy()`. */
  destroy(): void {
    void this.close();
  }

  /** Closes the sockets and waits until they are gone. */
  close(): Promise<void> {
    this.closing ??= this.agent.close();
    return this.closing;
  }
}
