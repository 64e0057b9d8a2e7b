import type { IncomingHttpHeaders } from 'node:http';
import { type ErrorKind, kindFromHttpStatus, ProviderError, parseRetryAfter } from '@msg/core';

/**
 * Refusals Zamtel answers with `success: false`, recognised by their text (the API has no error
 * codes). The texts are those integrations report; the codes are ours.
 */
export const ZAMTEL_REFUSALS: ReadonlyArray<{ pattern: RegExp; code: string; kind: ErrorKind }> = [
  {
    pattern: /api[\s_-]*key|unauthori[sz]ed|authentication/i,
    code: 'INVALID_API_KEY',
    kind: 'configuration',
  },
  { pattern: /sender/i, code: 'INVALID_SENDER_ID', kind: 'configuration' },
  { pattern: /balance|credit|top[\s-]*up/i, code: 'INSUFFICIENT_BALANCE', kind: 'configuration' },
  { pattern: /contact|number|recipient|msisdn/i, code: 'INVALID_CONTACT', kind: 'permanent' },
  { pattern: /too long|length/i, code: 'MESSAGE_TOO_LONG', kind: 'permanent' },
];

export function refusalOf(text: string): { code: string; kind: ErrorKind } {
  const found = ZAMTEL_REFUSALS.find((entry) => entry.pattern.test(text));
  // An unrecognised refusal sent nothing: transient lets the router retry or fail over.
  return found ?? { code: 'REJECTED', kind: 'transient' };
}

interface FailedAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** `responseText` (or `message`) when the body was Zamtel JSON. */
  text: string | undefined;
  /** The request as it may be shown: `POST /api/.../api_key/***\/...`. */
  request: string;
  provider: string;
}

/** The error for an answer that is not a success: 429 and 5xx by status, refusals by their text. */
export function answerError(answer: FailedAnswer): ProviderError {
  const { status, text, provider, request } = answer;
  const said = text ? `: ${text}` : '';
  if (status === 429 || status >= 500 || (text === undefined && status >= 300)) {
    const header = answer.headers['retry-after'];
    return new ProviderError({
      kind: kindFromHttpStatus(status),
      provider,
      providerCode: `HTTP_${status}`,
      httpStatus: status,
      retryAfterMs: status === 429 ? parseRetryAfter(Array.isArray(header) ? header[0] : header) : undefined,
      message: `[msg] [plugin-zamtel] ${request} answered ${status}${said}`,
    });
  }
  const refusal = refusalOf(text ?? '');
  return new ProviderError({
    kind: refusal.kind,
    provider,
    providerCode: refusal.code,
    httpStatus: status,
    message: `[msg] [plugin-zamtel] ${request} refused (${status})${said}`,
  });
}

/** A 2xx answer that is not Zamtel JSON: the request may have been queued. */
export function unreadableAnswerError(status: number, request: string, provider: string): ProviderError {
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: 'UNREADABLE_RESPONSE',
    httpStatus: status,
    message: `[msg] [plugin-zamtel] ${request} answered ${status} with a body that is not Zamtel JSON; the messages may have been queued`,
  });
}
