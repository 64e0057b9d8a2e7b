import {
  type HttpAnswer,
  httpAnswerError,
  kindFromHttpStatus,
  ProviderError,
  parseRetryAfter,
} from '@msg/core';
import type { GraphErrorBody } from './whatsapp-api-types.js';
import { whatsAppErrorCode } from './whatsapp-error-codes.js';

export const SERVICE = 'WhatsApp Cloud API';

/** The Graph error in a body, when there is one. */
export function graphErrorOf(body: string): GraphErrorBody['error'] | undefined {
  try {
    const parsed = JSON.parse(body) as Partial<GraphErrorBody> | null;
    const error = parsed?.error;
    return typeof error === 'object' && error !== null && typeof error.code === 'number' ? error : undefined;
  } catch {
    return undefined;
  }
}

function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * When a throttled app or account may call again: a `Retry-After` if a proxy sent one, else the
 * longest `estimated_time_to_regain_access` (minutes) of Graph's business use-case usage header.
 * Meta documents no wait for message throughput (130429) or the pair limit (131056): those get
 * none, so the router backs off briefly instead of pausing the number for every recipient.
 */
function retryAfterOf(answer: HttpAnswer, now: number): number | undefined {
  const retryAfter = parseRetryAfter(header(answer, 'retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const usage = header(answer, 'x-business-use-case-usage');
  if (!usage) return undefined;
  try {
    const parsed = JSON.parse(usage) as Record<string, Array<{ estimated_time_to_regain_access?: unknown }>>;
    const minutes = Object.values(parsed)
      .flat()
      .map((entry) => Number(entry?.estimated_time_to_regain_access))
      .filter((value) => Number.isFinite(value) && value > 0);
    return minutes.length > 0 ? Math.max(...minutes) * 60_000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A refused send: by the Graph error's `code` when the body has one (an undocumented code by the
 * HTTP status it came with), else by the HTTP status alone (a proxy's bare 5xx is transient).
 */
export function answerError(answer: HttpAnswer, provider: string, now: number): ProviderError {
  const graph = graphErrorOf(answer.body);
  if (!graph) return httpAnswerError(answer, { provider, service: SERVICE, now });
  const entry = whatsAppErrorCode(graph.code);
  // 100/33: the phone number id does not exist for this token; the instance's options are wrong.
  const kind =
    graph.code === 100 && graph.error_subcode === 33
      ? 'configuration'
      : (entry?.kind ?? kindFromHttpStatus(answer.status));
  const details = graph.error_data?.details;
  const message = typeof graph.message === 'string' ? graph.message : '';
  const text = [message, details && !message.includes(details) ? details : undefined]
    .filter(Boolean)
    .join(': ')
    .replace(/\s+/g, ' ')
    .slice(0, 300);
  return new ProviderError({
    kind,
    provider,
    providerCode: String(graph.code),
    httpStatus: answer.status,
    retryAfterMs: kind === 'rate-limited' ? retryAfterOf(answer, now) : undefined,
    message: `${SERVICE} refused the message: code ${graph.code}${graph.error_subcode ? ` (subcode ${graph.error_subcode})` : ''} (${entry?.name ?? 'undocumented'}): ${text || 'no message'}`,
  });
}
