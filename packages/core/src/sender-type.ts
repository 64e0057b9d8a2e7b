import type { SenderType } from './provider.js';

/** Short codes are national numbers of 3 to 6 digits (UK 5, US 5-6, Zambia 3-5), never with `+`. */
const SHORT_CODE = /^\d{3,6}$/;
const NUMBER = /^\+?\d{3,15}$/;
/** What carriers take as an alphanumeric sender id: letters, digits, space, `.`, `_`, `-`. */
const ALPHANUMERIC = /^[A-Za-z0-9 ._-]+$/;

/** The longest alphanumeric sender id (GSM 03.40 gives the originating address 11 characters). */
export const ALPHANUMERIC_SENDER_MAX_LENGTH = 11;

/**
 * The kind of sender `from` is: an email address, a short code (3 to 6 digits, no `+`), a number
 * (`+` and digits, or more than 6 digits), or an alphanumeric sender id (up to 11 letters, digits,
 * spaces, `.`, `_`, `-`: what `validateMessage` accepts). `undefined` for anything else.
 */
export function senderTypeOf(from: string): SenderType | undefined {
  if (from.includes('@')) return 'email';
  if (SHORT_CODE.test(from)) return 'short-code';
  if (NUMBER.test(from)) return 'numeric';
  if (ALPHANUMERIC.test(from) && from.length <= ALPHANUMERIC_SENDER_MAX_LENGTH) return 'alphanumeric';
  return undefined;
}
