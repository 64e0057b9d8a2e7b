import { abortedError, ProviderError } from './errors.js';

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

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  // undici and axios both nest the socket error in `cause`.
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('E') || code.startsWith('UND_'))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Classifies an error that is not an answer from the provider (no HTTP status): an abort by our
 * signal or a lost connection after the request left is `ambiguous`; a refused connection is
 * `transient`. Already-classified `ProviderError`s pass through.
 */
export function networkError(error: unknown, provider: string, signal?: AbortSignal): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (signal?.aborted) return abortedError(provider, signal);
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code && NOT_SENT_CODES.has(code)) {
    return new ProviderError({ kind: 'transient', provider, providerCode: code, message, cause: error });
  }
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: code ?? 'NETWORK',
    message: `connection lost after the request was sent (${message}); it may have been delivered`,
    cause: error,
  });
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

/** A UTF-16 surrogate without its partner: `\ud800` is valid JSON, but no Unicode text. */
const LONE_SURROGATE = /\p{Surrogate}/u;

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
    if (text === undefined || !LONE_SURROGATE.test(text)) continue;
    const index = text.search(LONE_SURROGATE);
    throw new ProviderError({
      kind: 'permanent',
      provider,
      providerCode: 'UNENCODABLE_TEXT',
      message: `${field} holds a lone UTF-16 surrogate at index ${index}, which no encoding can carry; nothing was sent`,
    });
  }
}
