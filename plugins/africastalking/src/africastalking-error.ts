import {
  type ErrorKind,
  kindFromHttpStatus,
  ProviderError,
  parseRetryAfter,
  type SendResult,
} from '@msg/core';
import type { AfricasTalkingRecipient } from './africastalking-api-types.js';

type Accepted = { accepted: SendResult['status'] };
type Rejected = { kind: ErrorKind };

/**
 * Every recipient `statusCode` Africa's Talking documents, with what it means for the router.
 * - 401 RiskHold: the account's traffic is held by Africa's Talking's fraud review; no resend to
 *   this account helps until a human clears it, so `configuration` (fail over, alert).
 * - 405 InsufficientBalance: `configuration`, the account must be topped up; another provider can
 *   still send.
 */
export const RECIPIENT_STATUS_CODES: Readonly<Record<number, { name: string } & (Accepted | Rejected)>> = {
  100: { name: 'Processed', accepted: 'queued' },
  101: { name: 'Sent', accepted: 'sent' },
  102: { name: 'Queued', accepted: 'queued' },
  401: { name: 'RiskHold', kind: 'configuration' },
  402: { name: 'InvalidSenderId', kind: 'configuration' },
  403: { name: 'InvalidPhoneNumber', kind: 'permanent' },
  404: { name: 'UnsupportedNumberType', kind: 'permanent' },
  405: { name: 'InsufficientBalance', kind: 'configuration' },
  406: { name: 'UserInBlacklist', kind: 'permanent' },
  407: { name: 'CouldNotRoute', kind: 'permanent' },
  409: { name: 'DoNotDisturbRejection', kind: 'permanent' },
  500: { name: 'InternalServerError', kind: 'transient' },
  501: { name: 'GatewayError', kind: 'transient' },
  502: { name: 'RejectedByGateway', kind: 'permanent' },
};

const CODE_BY_NAME = new Map(
  Object.entries(RECIPIENT_STATUS_CODES).map(([code, entry]) => [entry.name.toLowerCase(), Number(code)]),
);

/** The accepted status for a recipient code, or undefined when the recipient was rejected. */
export function acceptedStatus(statusCode: number): SendResult['status'] | undefined {
  const entry = RECIPIENT_STATUS_CODES[statusCode];
  return entry && 'accepted' in entry ? entry.accepted : undefined;
}

/** A rejected recipient: the code's kind, or its HTTP-like class for a code not documented yet. */
export function recipientError(recipient: AfricasTalkingRecipient, provider: string): ProviderError {
  const entry = RECIPIENT_STATUS_CODES[recipient.statusCode];
  const kind = entry && 'kind' in entry ? entry.kind : kindFromHttpStatus(recipient.statusCode);
  return new ProviderError({
    kind,
    provider,
    providerCode: String(recipient.statusCode),
    message: `Africa's Talking rejected the recipient: ${recipient.statusCode} ${entry?.name ?? recipient.status}`,
  });
}

/**
 * A 201 with no recipients: the request as a whole was refused (`InvalidSenderId`). A reason
 * that names a recipient code takes that code's kind; any other is about the account or request,
 * so `configuration` (failing over is the useful move).
 */
export function requestRejectionError(reason: string, provider: string): ProviderError {
  const code = CODE_BY_NAME.get(reason.replace(/\s+/g, '').toLowerCase());
  const entry = code === undefined ? undefined : RECIPIENT_STATUS_CODES[code];
  return new ProviderError({
    kind: entry && 'kind' in entry ? entry.kind : 'configuration',
    provider,
    providerCode: reason.slice(0, 64) || 'NoRecipients',
    message: `Africa's Talking refused the request: ${reason.slice(0, 200) || 'no recipients in the answer'}`,
  });
}

/** A non-2xx answer: 401 (bad key, text/plain) configuration, 429 rate-limited, 5xx transient. */
export function httpError(
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  provider: string,
): ProviderError {
  const kind = kindFromHttpStatus(status);
  const retryAfter = headers['retry-after'];
  const text = body.trim().replace(/\s+/g, ' ').slice(0, 200);
  return new ProviderError({
    kind,
    provider,
    providerCode: `HTTP_${status}`,
    httpStatus: status,
    retryAfterMs:
      kind === 'rate-limited'
        ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
        : undefined,
    message: `Africa's Talking answered HTTP ${status}${text ? `: ${text}` : ''}`,
  });
}

/** A 2xx whose body is not the documented JSON: the message may have gone out. */
export function unreadableAnswerError(status: number, provider: string, cause?: unknown): ProviderError {
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: 'UNREADABLE_ANSWER',
    httpStatus: status,
    message: `Africa's Talking answered HTTP ${status} with a body that is not the documented JSON; the message may have been sent`,
    cause,
  });
}
