import type { SNSClient } from '@aws-sdk/client-sns';
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';
import { Agent } from 'undici';

const ABORT_SIGNAL = Symbol('msg.sns.abortSignal');
type CarriesSignal = { [ABORT_SIGNAL]?: AbortSignal };

/**
 * Why not `client.send(command, { abortSignal })`: any per-call options make the SDK rebuild its
 * middleware chain on every send (its handler cache needs `options === undefined`), which cost
 * about 30% of the SDK's CPU per Publish in our measurements. So the signal rides on the command
 * input (a symbol key the serializer never reads) and a middleware just before the handler moves
 * it onto the signed HTTP request that `handle` receives.
 */
export function withAbortSignal<T extends object>(input: T, signal: AbortSignal): T {
  (input as CarriesSignal)[ABORT_SIGNAL] = signal;
  return input;
}

export function forwardAbortSignals(client: SNSClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const signal = (args.input as CarriesSignal)[ABORT_SIGNAL];
      const request = (args as { request?: unknown }).request;
      if (signal && typeof request === 'object' && request !== null) {
        (request as CarriesSignal)[ABORT_SIGNAL] = signal;
      }
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'msgForwardAbortSignal' },
  );
}

export interface UndiciHandlerOptions {
  /** Keep-alive connections per origin. */
  connections: number;
}

export type SnsHttpHandler = RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> & {
  destroy(): void;
  /** Releases the sockets; a request still in flight fails (and the provider reports it ambiguous). */
  close(): Promise<void>;
};

function queryString(query: HttpRequest['query']): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(item)}`);
    }
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/**
 * A smithy request handler on an undici keep-alive `Agent`: the SDK signs and parses, undici moves
 * the bytes (faster than node:http). The response body is read whole here, since a Publish answer
 * is a few hundred bytes and the SDK accepts a `Uint8Array` body without a stream collector.
 * One handler per provider instance, so two accounts never share sockets.
 */
export function createUndiciHandler(options: UndiciHandlerOptions): SnsHttpHandler {
  const agent = new Agent({ connections: options.connections, pipelining: 1 });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= agent.destroy().catch(() => {});
    return closing;
  };
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request, handlerOptions = {}) {
      const signal =
        (request as CarriesSignal)[ABORT_SIGNAL] ?? (handlerOptions.abortSignal as AbortSignal | undefined);
      signal?.throwIfAborted();
      const port = request.port ? `:${request.port}` : '';
      const answer = await agent.request({
        origin: `${request.protocol}//${request.hostname}${port}`,
        path: `${request.path}${queryString(request.query)}`,
        method: request.method as 'POST',
        headers: request.headers,
        body: request.body as string | Uint8Array | undefined,
        signal,
      });
      const body = new Uint8Array(await answer.body.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { response: { statusCode: answer.statusCode, headers, body } };
    },
    destroy() {
      void close();
    },
    close,
  };
}
