import { type ErrorKind, ProviderError } from '@msg/core';
import type { VonageSmsMessage } from './vonage-api-types.js';

/**
 * Every `status` the SMS API documents (`x-errors` in sms.yml), with what it means for the router.
 * - 1 Throttled comes in a 200 body, not as HTTP 429: Vonage asks to wait about a second.
 * - 9 Partner Quota Violation is an empty balance: `configuration` (top up; another provider can
 *   still send), not `rate-limited`.
 * - 29 Non-Whitelisted Destination: a demo account may only send to its test numbers.
 */
export const VONAGE_SMS_STATUS_CODES: Readonly<Record<string, { name: string; kind: ErrorKind }>> = {
  '1': { name: 'Throttled', kind: 'rate-limited' },
  '2': { name: 'Missing Parameters', kind: 'permanent' },
  '3': { name: 'Invalid Parameters', kind: 'permanent' },
  '4': { name: 'Invalid Credentials', kind: 'configuration' },
  '5': { name: 'Internal Error', kind: 'transient' },
  '6': { name: 'Invalid Message', kind: 'permanent' },
  '7': { name: 'Number Barred', kind: 'permanent' },
  '8': { name: 'Partner Account Barred', kind: 'configuration' },
  '9': { name: 'Partner Quota Violation', kind: 'configuration' },
  '10': { name: 'Too Many Existing Binds', kind: 'transient' },
  '11': { name: 'Account Not Enabled For HTTP', kind: 'configuration' },
  '12': { name: 'Message Too Long', kind: 'permanent' },
  '14': { name: 'Invalid Signature', kind: 'configuration' },
  '15': { name: 'Invalid Sender Address', kind: 'configuration' },
  '22': { name: 'Invalid Network Code', kind: 'permanent' },
  '23': { name: 'Invalid Callback Url', kind: 'configuration' },
  '29': { name: 'Non-Whitelisted Destination', kind: 'configuration' },
  '32': { name: 'Signature And API Secret Disallowed', kind: 'configuration' },
  '33': { name: 'Number De-activated', kind: 'permanent' },
};

/** Vonage's "please wait [ 1 ] and retry": about a second. */
const THROTTLED_RETRY_AFTER_MS = 1000;

/** A refused part: the documented kind, or `permanent` for a status Vonage has not documented. */
export function smsStatusError(part: VonageSmsMessage, provider: string): ProviderError {
  const entry = VONAGE_SMS_STATUS_CODES[part.status];
  const kind = entry?.kind ?? 'permanent';
  const text = (part['error-text'] ?? entry?.name ?? 'no error text').slice(0, 200);
  return new ProviderError({
    kind,
    provider,
    providerCode: part.status,
    retryAfterMs: kind === 'rate-limited' ? THROTTLED_RETRY_AFTER_MS : undefined,
    message: `Vonage refused the message: status ${part.status} (${entry?.name ?? 'undocumented'}): ${text}`,
  });
}

/**
 * Some parts accepted, some refused: the recipient may get a truncated message, and sending the
 * whole text again would repeat the accepted parts, so the outcome is `ambiguous`.
 */
export function partialFailureError(
  refused: VonageSmsMessage,
  accepted: number,
  total: number,
  provider: string,
): ProviderError {
  const cause = smsStatusError(refused, provider);
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: refused.status,
    message: `Vonage accepted ${accepted} of ${total} parts; ${cause.message}`,
    cause,
  });
}

/** Refused before any request: the text or number cannot be sent as it is. */
export function unsendableError(provider: string, code: string, reason: string): ProviderError {
  return new ProviderError({ kind: 'permanent', provider, providerCode: code, message: reason });
}
