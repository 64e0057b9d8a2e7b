import { httpAnswerError, type ProviderError, unreadableAnswerError } from '@msg/core';
import type { MittoAnswer } from './mitto-client.js';
import { responseCodeError } from './mitto-error.js';

export const SERVICE = 'Mitto';

interface Coded {
  responseCode: number;
  responseText?: string;
}

/**
 * The body of an accepted request (`responseCode` 0 on a 2xx), or the error to throw. A body's
 * `responseCode` decides whatever the HTTP status (Mitto answers refusals as HTTP 400 with one);
 * without one, the HTTP status does, and an unreadable 2xx is ambiguous.
 */
export function readAnswer<T extends Coded>(answer: MittoAnswer, provider: string, now: number): T {
  let parsed: Partial<T> | undefined;
  try {
    parsed = JSON.parse(answer.body) as Partial<T>;
  } catch (error) {
    throw failure(answer, provider, now, error);
  }
  const code = parsed?.responseCode;
  if (typeof code === 'number' && code !== 0) {
    throw responseCodeError(code, parsed?.responseText, answer.status, provider);
  }
  if (typeof code !== 'number' || answer.status < 200 || answer.status >= 300) {
    throw failure(answer, provider, now);
  }
  return parsed as T;
}

function failure(answer: MittoAnswer, provider: string, now: number, cause?: unknown): ProviderError {
  return answer.status >= 200 && answer.status < 300
    ? unreadableAnswerError(answer.status, { provider, service: SERVICE, cause })
    : httpAnswerError(answer, { provider, service: SERVICE, now });
}
