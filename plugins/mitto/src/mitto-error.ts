import { type ErrorKind, kindFromHttpStatus, ProviderError } from '@msg/core';

/**
 * Every `responseCode` Mitto documents, with what it means for the router. Sender problems (5, 6)
 * are the instance's `from`: `configuration`, so another provider can send. Text and number
 * problems are the message's own: `permanent`.
 */
export const MITTO_RESPONSE_CODES: Readonly<Record<number, { name: string; kind: ErrorKind }>> = {
  1: { name: 'Internal error', kind: 'transient' },
  2: { name: 'Invalid type', kind: 'permanent' },
  3: { name: 'Empty message', kind: 'permanent' },
  4: { name: 'Message text is invalid', kind: 'permanent' },
  5: { name: 'Empty sender', kind: 'configuration' },
  6: { name: 'Invalid sender', kind: 'configuration' },
  7: { name: 'Empty receiver', kind: 'permanent' },
  8: { name: 'Invalid receiver', kind: 'permanent' },
};

/** A refused request, by its `responseCode`; an undocumented code by the HTTP status it came with. */
export function responseCodeError(
  responseCode: number,
  responseText: string | undefined,
  httpStatus: number,
  provider: string,
): ProviderError {
  const entry = MITTO_RESPONSE_CODES[responseCode];
  const kind = entry?.kind ?? (httpStatus >= 400 ? kindFromHttpStatus(httpStatus) : 'permanent');
  const text = (responseText ?? entry?.name ?? 'no response text').slice(0, 200);
  return new ProviderError({
    kind,
    provider,
    providerCode: String(responseCode),
    httpStatus: httpStatus === 200 ? undefined : httpStatus,
    message: `Mitto refused the message: responseCode ${responseCode} (${entry?.name ?? 'undocumented'}): ${text}`,
  });
}

/** Refused before any request: the message cannot be sent as it is. */
export function unsendableError(
  provider: string,
  kind: ErrorKind,
  code: string,
  reason: string,
): ProviderError {
  return new ProviderError({ kind, provider, providerCode: code, message: reason });
}
