import { type Dispatcher, Pool } from 'undici';

/** What one SDK call's HTTP request did, as far as the SDK's `{ data, error }` cannot tell. */
export class CallState {
  /** The network error code, when the request failed below HTTP (ECONNREFUSED, UND_ERR_SOCKET). */
  networkError: string | undefined;
  /** Set once the request was handed to a connection: from then on the body may have left. */
  sent = false;
}

type Handler = Dispatcher.DispatchHandler & {
  onConnect?: (...args: unknown[]) => void;
  onError?: (error: Error) => void;
};

/**
 * The HTTP side of one provider instance. The resend SDK calls the global `fetch` and takes no
 * agent, but it hands its request options to `fetch` as they are, so each call passes
 * `dispatcher`: this instance's undici `Pool`, wrapped to note what the SDK's `{ data, error }`
 * hides (a refused connection and a reset after sending both come back as `statusCode: null`).
 */
export class ResendTransport {
  private readonly pool: Pool;

  constructor(origin: string, connections: number) {
    this.pool = new Pool(origin, { connections, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  /** A dispatcher for one call, recording into `state`. */
  dispatcherFor(state: CallState): Dispatcher {
    const pool = this.pool;
    return {
      dispatch(options: Dispatcher.DispatchOptions, handler: Handler): boolean {
        const onConnect = handler.onConnect?.bind(handler);
        const onError = handler.onError?.bind(handler);
        handler.onConnect = (...args: unknown[]) => {
          state.sent = true;
          onConnect?.(...args);
        };
        handler.onError = (error: Error) => {
          state.networkError = (error as { code?: string }).code ?? error.name;
          onError?.(error);
        };
        return pool.dispatch(options, handler);
      },
    } as unknown as Dispatcher;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
