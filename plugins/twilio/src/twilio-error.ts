import { type ErrorKind, kindFromHttpStatus, ProviderError, parseRetryAfter } from '@msg/core';

/**
 * Twilio error code -> kind. The code decides before the HTTP status does: Twilio answers 400 for
 * both a bad number (the message's fault) and an unverified sender (the account's fault).
 * `configuration` means this instance cannot send until someone fixes the account, so the router
 * fails over and never retries here; `permanent` means no provider can deliver this message.
 */
export const TWILIO_ERROR_KINDS: Readonly<Record<string, ErrorKind>> = {
  // 401 Authentication Error: a wrong AccountSid/AuthToken pair.
  '20003': 'configuration',
  // 404 The requested resource was not found: the AccountSid in the path is not this account's.
  '20404': 'configuration',
  // 429 Too Many Requests: the account's API concurrency limit.
  '20429': 'rate-limited',
  '20500': 'transient',
  '20503': 'transient',
  // Invalid 'To' phone number.
  '21211': 'permanent',
  // Permission to send to this region is not enabled: an account geo-permission, fixable there,
  // and another provider may well deliver the message.
  '21408': 'configuration',
  // No 'To' number, no Body.
  '21602': 'permanent',
  '21604': 'permanent',
  // No 'From' number: the instance has no sender configured.
  '21603': 'configuration',
  // The 'From' number is not a message-capable Twilio number on this account.
  '21606': 'configuration',
  // The recipient replied STOP: never send again, through any provider.
  '21610': 'permanent',
  // The 'To' number cannot be reached by SMS (landline, unsupported carrier).
  '21612': 'permanent',
  // 'To' is not a mobile number.
  '21614': 'permanent',
  // Body longer than 1600 characters.
  '21617': 'permanent',
  // Queue overflow: too many messages queued on the sender; it drains, so try again.
  '30001': 'transient',
  // Account suspended: nothing sends from this instance until the account is restored.
  '30002': 'configuration',
  // Unreachable handset, blocked, unknown handset, landline, carrier filtering: the recipient
  // or the content cannot be delivered, and another route does not change that.
  '30003': 'permanent',
  '30004': 'permanent',
  '30005': 'permanent',
  '30006': 'permanent',
  '30007': 'permanent',
};

export interface TwilioErrorInput {
  /** HTTP status of the answer. */
  status: number;
  /** Twilio's error code from the body, when the body had one. */
  code?: number | string | undefined;
  message?: string | undefined;
  /** The answer's `Retry-After` header. */
  retryAfter?: string | undefined;
}

/** The kind for a Twilio answer: its error code when known, else its HTTP status. */
export function twilioErrorKind(status: number, code?: number | string): ErrorKind {
  const byCode = code === undefined ? undefined : TWILIO_ERROR_KINDS[String(code)];
  return byCode ?? kindFromHttpStatus(status);
}

/** A `ProviderError` for an error answer from Twilio's API. */
export function twilioError(provider: string, input: TwilioErrorInput, now = Date.now()): ProviderError {
  const code = input.code === undefined || input.code === 0 ? undefined : String(input.code);
  const kind = twilioErrorKind(input.status, code);
  const retryAfterMs = parseRetryAfter(input.retryAfter, now);
  const text = input.message ? input.message : `HTTP ${input.status}`;
  return new ProviderError({
    kind,
    provider,
    providerCode: code ?? `HTTP_${input.status}`,
    httpStatus: input.status,
    retryAfterMs,
    message: `[msg] [plugin-twilio] Twilio answered ${input.status}${code ? ` (${code})` : ''}: ${text}`,
  });
}
