import { abortedError, ProviderError, ValidationError } from './errors.js';
import { isWellFormedText, LONE_SURROGATE } from './message-text.js';

/** The `providerCode` of an exception a plugin threw before its request left (a bug, or input it cannot handle). */
export const PLUGIN_EXCEPTION_CODE = 'MSG_ERR_PLUGIN_EXCEPTION';

/** Network error codes raised before the request reached the provider: safe to send again. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** A TLS handshake that failed (bad or expired certificate): nothing was sent. */
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_)|CERT|SELF_SIGNED|UNABLE_TO_VERIFY|_SIGNATURE_FAILURE$/;

/**
 * Codes of socket and transport failures: errno names (`ECONNRESET`, `EPIPE`), undici's
 * (`UND_ERR_SOCKET`), Node's socket and stream codes and the HTTP clients' own network codes.
 * Node's programming errors (`ERR_INVALID_ARG_TYPE`) are not among them.
 */
function isNetworkCode(code: string): boolean {
  if (code.startsWith('ERR_')) return /^ERR_(SOCKET|STREAM|HTTP|HTTP2|NETWORK|CANCELED)/.test(code);
  return /^E[A-Z0-9]+(_[A-Z0-9]+)*$/.test(code) || code.startsWith('UND_ERR');
}

/** Names the runtimes and SDKs give to aborted or timed-out requests and broken sockets. */
const NETWORK_ERROR_NAMES = new Set(['AbortError', 'TimeoutError', 'SocketError', 'FetchError']);

/** The first network code along the `cause` chain (undici and axios nest the socket error there). */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (isNetworkCode(code) || TLS_FAILURE.test(code))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function looksLikeNetworkFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const name = (current as { name?: unknown }).name;
    if (typeof name === 'string' && NETWORK_ERROR_NAMES.has(name)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An exception from plugin code that is no network failure (a `TypeError`, a `URIError` from
 * encoding a string): nothing left, so it is not ambiguous; the same message would throw again,
 * so it is `permanent` (not retried, and not counted against the provider's breaker, since one bad
 * message must not take a provider down for everyone).
 */
export function pluginException(error: unknown, provider: string): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (ValidationError.isInstance(error)) {
    return new ProviderError({
      kind: 'permanent',
      provider,
      providerCode: error.code,
      message: error.message,
      cause: error,
    });
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new ProviderError({
    kind: 'permanent',
    provider,
    providerCode: PLUGIN_EXCEPTION_CODE,
    message: `the plugin threw before sending (${name}: ${messageOf(error)}); nothing was sent`,
    cause: error,
  });
}

/**
 * Classifies an error that is not an answer from the provider (no HTTP status). Only a network
 * failure can be `ambiguous`: an abort by our signal, a lost connection or timeout after the
 * request left, or an answer that could not be read (`SyntaxError`). A refused connection or a
 * failed TLS handshake is `transient` (nothing left). Anything else is an exception from plugin
 * code (`pluginException`). Already-classified `ProviderError`s pass through.
 */
export function networkError(error: unknown, provider: string, signal?: AbortSignal): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (signal?.aborted) return abortedError(provider, signal);
  const code = networkCode(error);
  const message = messageOf(error);
  if (code && (NOT_SENT_CODES.has(code) || TLS_FAILURE.test(code))) {
    return new ProviderError({ kind: 'transient', provider, providerCode: code, message, cause: error });
  }
  if (code || looksLikeNetworkFailure(error)) {
    return new ProviderError({
      kind: 'ambiguous',
      provider,
      providerCode: code ?? 'NETWORK',
      message: `connection lost after the request was sent (${message}); it may have been delivered`,
      cause: error,
    });
  }
  if (error instanceof SyntaxError) {
    return new ProviderError({
      kind: 'ambiguous',
      provider,
      providerCode: 'UNREADABLE_ANSWER',
      message: `the provider's answer could not be read (${message}); it may have been delivered`,
      cause: error,
    });
  }
  return pluginException(error, provider);
}

/** `Retry-After` (seconds or an HTTP date) or a reset epoch, in milliseconds from `now`. */
export function parseRetryAfter(
  value: string | number | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.max(0, Math.round(Number(text) * 1000));
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Kind of an HTTP answer with no more specific mapping: 429 rate-limited, 5xx transient, 401/403 configuration. */
export function kindFromHttpStatus(status: number): ProviderError['kind'] {
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'transient';
  if (status === 401 || status === 403) return 'configuration';
  if (status === 408) return 'transient';
  return 'permanent';
}

/** Parses a decimal money string from a provider (`-0.00750`, `KES 0.8000`) to a positive amount string. */
export function parseMoney(
  text: string | null | undefined,
  currency?: string | null,
): { amount: string; currency: string } | undefined {
  if (!text) return undefined;
  const match = /^\s*([A-Za-z]{3})?\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]{3})?\s*$/.exec(text);
  if (!match) return undefined;
  const unit = (match[1] ?? match[3] ?? currency ?? '').toUpperCase();
  if (!unit) return undefined;
  return { amount: (match[2] as string).replace(/^-/, ''), currency: unit };
}

/** A provider's HTTP answer, as a plugin's own client reads it. */
export interface HttpAnswer {
  status: number;
  /** Lower-case names, as node:http and undici give them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}

/**
 * A non-2xx answer that no provider code explains: its kind by HTTP status (`kindFromHttpStatus`),
 * `Retry-After` kept for a 429, `HTTP_<status>` as the code, and the start of the body (one line)
 * in the message. `service` names the provider in the message (`Vonage`).
 */
export function httpAnswerError(
  answer: HttpAnswer,
  options: { provider: string; service: string; now?: number },
): ProviderError {
  const kind = kindFromHttpStatus(answer.status);
  const header = answer.headers['retry-after'];
  const text = answer.body.trim().replace(/\s+/g, ' ').slice(0, 200);
  return new ProviderError({
    kind,
    provider: options.provider,
    providerCode: `HTTP_${answer.status}`,
    httpStatus: answer.status,
    retryAfterMs:
      kind === 'rate-limited'
        ? parseRetryAfter(Array.isArray(header) ? header[0] : header, options.now)
        : undefined,
    message: `${options.service} answered HTTP ${answer.status}${text ? `: ${text}` : ''}`,
  });
}

/**
 * A 2xx whose body is not what the provider documents (a proxy's page, a cut-off body, a missing
 * id): the request may have taken effect, so a send is `ambiguous`.
 */
export function unreadableAnswerError(
  status: number,
  options: { provider: string; service: string; cause?: unknown },
): ProviderError {
  return new ProviderError({
    kind: 'ambiguous',
    provider: options.provider,
    providerCode: 'UNREADABLE_ANSWER',
    httpStatus: status,
    message: `${options.service} answered HTTP ${status} with a body that is not the documented JSON; the message may have been sent`,
    cause: options.cause,
  });
}

/** What a closed provider throws instead of sending: nothing left, so another provider may send. */
export function closedProviderError(provider: string): ProviderError {
  return new ProviderError({
    kind: 'transient',
    provider,
    providerCode: 'MSG_CLOSED',
    message: 'provider is closed',
  });
}

/**
 * Refuses, before anything is sent, text that no encoder can carry: a lone UTF-16 surrogate makes
 * `encodeURIComponent` throw `URI malformed` (an error that would otherwise look like a lost
 * connection) and `TextEncoder` silently send U+FFFD. The message itself is bad, so the error is
 * `permanent`, with code `UNENCODABLE_TEXT`, naming the field.
 */
export function assertEncodableText(
  provider: string,
  fields: Readonly<Record<string, string | undefined>>,
): void {
  for (const [field, text] of Object.entries(fields)) {
    if (text === undefined || isWellFormedText(text)) continue;
    const index = text.search(LONE_SURROGATE);
    throw new ProviderError({
      kind: 'permanent',
      provider,
      providerCode: 'UNENCODABLE_TEXT',
      message: `${field} holds a lone UTF-16 surrogate at index ${index}, which no encoding can carry; nothing was sent`,
    });
  }
}
