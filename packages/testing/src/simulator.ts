import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { StatusCallbacks, type StatusCallbacksOptions } from './status-callbacks.js';

export interface SimulatorRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Full URL as the simulator saw it (`http://127.0.0.1:PORT/path?query`). */
  url: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Lower-case header names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  text(): string;
  json<T = unknown>(): T;
  form(): URLSearchParams;
  /** The handler sets this after checking authentication, so tests can see which account sent what. */
  credential?: string;
}

export interface SimulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export type RouteHandler = (request: SimulatorRequest) => SimulatorResponse | Promise<SimulatorResponse>;

/** A named way the provider fails, answered as the real provider would. */
export type ErrorCatalogue = Record<string, (request: SimulatorRequest) => SimulatorResponse>;

export interface FaultSettings {
  /** Fraction (0-1) of requests answered with `error`. */
  errorRate?: number;
  /** Catalogue name of the error to answer with; a bare 500 when absent. */
  error?: string;
  /** Added before answering. */
  latencyMs?: number;
  /** Never answer; the connection stays open until the client gives up or the simulator stops. */
  hang?: boolean;
  /** Destroy the connection without answering, after the request was read. */
  reset?: boolean;
  /** Epoch-millisecond window during which every request fails with `error` (or 503). */
  outage?: { from: number; to: number };
  /**
   * Answer with this HTTP status instead of the route, as a load balancer or a broken upstream
   * does: a bare 500/502/503 without the provider's error body, or a 2xx whose body the client
   * cannot read (empty, an HTML page, truncated JSON).
   */
  status?: number;
  /** With `status`: the body (default empty). */
  body?: string;
  /** With `status`: the content type (default `text/html`). */
  contentType?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  credential?: string | undefined;
  at: number;
}

export interface SimulatorOptions {
  /** Names the simulator in errors and logs (`twilio`). */
  name: string;
  errors?: ErrorCatalogue;
  /** Seed for the error-rate draw, so a fault pattern repeats. */
  seed?: number;
  now?: () => number;
  /** How many requests to keep in `requests` (oldest dropped). */
  recordLimit?: number;
  callbacks?: StatusCallbacksOptions;
}

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
  faults: boolean;
}

export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): SimulatorResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export function textResponse(status: number, text: string, contentType = 'text/plain'): SimulatorResponse {
  return { status, headers: { 'content-type': contentType }, body: text };
}

function compile(path: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        keys.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), keys };
}

/** mulberry32: a tiny seeded PRNG, so `errorRate` faults are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTROL_PREFIX = '/__simulator';

/**
 * A loopback HTTP server that plays a provider: routes with the provider's real paths and shapes,
 * fault injection in front of them, a record of what arrived, and signed status callbacks.
 * Control it in-process (`faults`, `failNext`) or over HTTP under `/__simulator/*` from another
 * process.
 */
export class SimulatorServer {
  readonly name: string;
  readonly requests: RecordedRequest[] = [];
  readonly callbacks: StatusCallbacks;
  /** Where status callbacks go when a request does not name one (the account's configured URL). */
  callbackUrl: string | undefined;
  /** Per-recipient outcome overrides; plugin simulators read them with `outcomeFor`. */
  readonly outcomes = new Map<string, string>();
  defaultOutcome = 'delivered';
  private outcomeMix: Array<[string, number]> = [];
  /** Delay before a status callback is sent. */
  callbackDelayMs = 20;

  private readonly routes: Route[] = [];
  private readonly errors: ErrorCatalogue;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly recordLimit: number;
  private readonly sockets = new Set<Socket>();
  private standing: FaultSettings = {};
  private oneShot: FaultSettings[] = [];
  private server: Server | undefined;
  private origin: string | undefined;

  constructor(options: SimulatorOptions) {
    this.name = options.name;
    this.errors = options.errors ?? {};
    this.random = seededRandom(options.seed ?? 1);
    this.now = options.now ?? Date.now;
    this.recordLimit = options.recordLimit ?? 1000;
    this.callbacks = new StatusCallbacks(options.callbacks);
  }

  /** `path` may hold `:name` segments; `faults: false` exempts a route (token endpoints). */
  route(method: string, path: string, handler: RouteHandler, options: { faults?: boolean } = {}): this {
    const { pattern, keys } = compile(path);
    this.routes.push({
      method: method.toUpperCase(),
      pattern,
      keys,
      handler,
      faults: options.faults ?? true,
    });
    return this;
  }

  get url(): string {
    if (!this.origin) throw new Error(`[msg] [simulator ${this.name}] not started`);
    return this.origin;
  }

  async start(options: { port?: number; host?: string } = {}): Promise<string> {
    const server = createServer({ keepAlive: true }, (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(`simulator error: ${(error as Error).message}`);
        }
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    this.server = server;
    this.origin = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async stop(): Promise<void> {
    this.callbacks.stop();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Standing faults, replacing the previous ones. */
  setFaults(settings: FaultSettings): void {
    this.standing = { ...settings };
  }

  /** The next `times` requests to a fault-enabled route fail with the named catalogue error. */
  failNext(error: string, times = 1): void {
    if (!(error in this.errors)) throw new Error(`[msg] [simulator ${this.name}] unknown error "${error}"`);
    for (let index = 0; index < times; index++) this.oneShot.push({ error, errorRate: 1 });
  }

  /** The next `times` requests get these faults (hang, reset, latency…). */
  faultNext(settings: FaultSettings, times = 1): void {
    for (let index = 0; index < times; index++) this.oneShot.push({ ...settings });
  }

  clearFaults(): void {
    this.standing = {};
    this.oneShot = [];
  }

  /** Forget recorded requests, faults and outcomes. */
  reset(): void {
    this.clearFaults();
    this.requests.length = 0;
    this.outcomes.clear();
    this.outcomeMix = [];
  }

  errorNames(): string[] {
    return Object.keys(this.errors);
  }

  /** Client connections open now: a provider's `close()` must bring its own down to none. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /**
   * Outcomes drawn at these shares for recipients without an override (`{ undelivered: 0.3 }`: 30 %
   * undelivered, the rest `defaultOutcome`), from the simulator's seeded random source.
   */
  setOutcomeMix(mix: Readonly<Record<string, number>>): void {
    const total = Object.values(mix).reduce((sum, share) => sum + share, 0);
    if (total > 1 || Object.values(mix).some((share) => share < 0)) {
      throw new Error(
        `outcome shares must be non-negative and add up to at most 1, got ${JSON.stringify(mix)}`,
      );
    }
    this.outcomeMix = Object.entries(mix);
  }

  outcomeFor(recipient: string): string {
    const chosen = this.outcomes.get(recipient);
    if (chosen !== undefined) return chosen;
    if (this.outcomeMix.length > 0) {
      let point = this.random();
      for (const [outcome, share] of this.outcomeMix) {
        if (point < share) return outcome;
        point -= share;
      }
    }
    return this.defaultOutcome;
  }

  /** Answer as the provider does for a named error. */
  errorResponse(name: string, request: SimulatorRequest): SimulatorResponse {
    const make = this.errors[name];
    if (!make) return textResponse(500, `simulated failure (${name})`);
    return make(request);
  }

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const url = new URL(incoming.url ?? '/', this.origin);
    const method = (incoming.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      return this.send(response, this.control(method, url.pathname.slice(CONTROL_PREFIX.length), rawBody));
    }
    let params: Record<string, string> = {};
    const route = this.routes.find((candidate) => {
      if (candidate.method !== method) return false;
      const match = candidate.pattern.exec(url.pathname);
      if (!match) return false;
      params = Object.fromEntries(
        candidate.keys.map((key, index) => [key, decodeURIComponent(match[index + 1] ?? '')]),
      );
      return true;
    });
    const request: SimulatorRequest = {
      method,
      path: url.pathname,
      url: url.toString(),
      params,
      query: url.searchParams,
      headers: incoming.headers,
      rawBody,
      text: () => rawBody.toString('utf8'),
      json: <T>() => JSON.parse(rawBody.toString('utf8')) as T,
      form: () => new URLSearchParams(rawBody.toString('utf8')),
    };
    if (!route)
      return this.send(
        response,
        textResponse(404, `no route ${method} ${url.pathname} on ${this.name} simulator`),
      );
    if (route.faults) {
      const fault = this.oneShot.shift() ?? this.standing;
      const outcome = await this.applyFault(fault, request, incoming);
      if (outcome === 'no-answer') {
        this.record(request);
        return;
      }
      if (outcome) {
        this.record(request);
        return this.send(response, outcome);
      }
    }
    const answer = await route.handler(request);
    this.record(request);
    this.send(response, answer);
  }

  private async applyFault(
    fault: FaultSettings,
    request: SimulatorRequest,
    incoming: IncomingMessage,
  ): Promise<SimulatorResponse | 'no-answer' | undefined> {
    const now = this.now();
    if (fault.outage && now >= fault.outage.from && now < fault.outage.to) {
      return fault.error
        ? this.errorResponse(fault.error, request)
        : textResponse(503, 'Service Unavailable');
    }
    if (fault.status !== undefined) {
      return {
        status: fault.status,
        headers: { 'content-type': fault.contentType ?? 'text/html' },
        body: fault.body ?? '',
      };
    }
    if (fault.hang) return 'no-answer';
    if (fault.reset) {
      incoming.socket.destroy();
      return 'no-answer';
    }
    if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    if (fault.errorRate !== undefined && fault.errorRate > 0 && this.random() < fault.errorRate) {
      return fault.error ? this.errorResponse(fault.error, request) : textResponse(500, 'simulated failure');
    }
    return undefined;
  }

  private record(request: SimulatorRequest): void {
    this.requests.push({
      method: request.method,
      path: request.path,
      url: request.url,
      headers: request.headers,
      body: request.rawBody,
      credential: request.credential,
      at: this.now(),
    });
    if (this.requests.length > this.recordLimit)
      this.requests.splice(0, this.requests.length - this.recordLimit);
  }

  private control(method: string, path: string, body: Buffer): SimulatorResponse {
    const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    if (path === '/faults' && method === 'POST') {
      this.setFaults(input as FaultSettings);
      return jsonResponse(200, { ok: true });
    }
    if (path === '/faults' && method === 'DELETE') {
      this.clearFaults();
      return jsonResponse(200, { ok: true });
    }
    if (path === '/fault-next' && method === 'POST') {
      const { times, ...settings } = input;
      this.faultNext(settings as FaultSettings, Number(times ?? 1));
      return jsonResponse(200, { ok: true });
    }
    if (path === '/fail-next' && method === 'POST') {
      this.failNext(String(input.error), Number(input.times ?? 1));
      return jsonResponse(200, { ok: true });
    }
    if (path === '/outcome-mix' && method === 'POST') {
      this.setOutcomeMix(input.mix as Record<string, number>);
      return jsonResponse(200, { ok: true });
    }
    if (path === '/outcomes' && method === 'POST') {
      this.outcomes.set(String(input.recipient), String(input.outcome));
      return jsonResponse(200, { ok: true });
    }
    if (path === '/requests' && method === 'GET') {
      return jsonResponse(200, {
        count: this.requests.length,
        openConnections: this.openConnections,
        requests: this.requests.map(({ method: m, path: p, credential, at }) => ({
          method: m,
          path: p,
          credential,
          at,
        })),
      });
    }
    return textResponse(404, `no control route ${method} ${path}`);
  }

  private send(response: ServerResponse, answer: SimulatorResponse): void {
    if (response.destroyed) return;
    response.writeHead(answer.status, answer.headers ?? {});
    response.end(answer.body ?? '');
  }
}
