import { type CountryCode, ParseError, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { ValidationError } from './errors.js';

export interface NormalizePhoneOptions {
  /** ISO 3166 country (`ZM`) used when the input has no `+` country code. */
  defaultCountry?: string;
}

/**
 * Normalises a phone number to E.164 with libphonenumber's full metadata, so that a number with
 * the wrong length or an unassigned range is refused before any provider sees it.
 */
export function normalizePhoneNumber(input: string, options: NormalizePhoneOptions = {}): string {
  if (typeof input !== 'string' || input.trim().length === 0) {
    throw new ValidationError([{ path: '', message: 'phone number is required' }]);
  }
  const trimmed = input.trim();
  if (!trimmed.startsWith('+') && !options.defaultCountry) {
    throw new ValidationError([
      { path: '', message: `"${input}" is not in E.164 form (+ and country code, e.g. +260971234567)` },
    ]);
  }
  try {
    const parsed = parsePhoneNumberWithError(trimmed, options.defaultCountry as CountryCode | undefined);
    if (!parsed.isValid()) {
      throw new ValidationError([{ path: '', message: `"${input}" is not a valid phone number` }]);
    }
    return parsed.number;
  } catch (error) {
    if (error instanceof ParseError) {
      throw new ValidationError([
        { path: '', message: `"${input}" is not a phone number (${error.message})` },
      ]);
    }
    throw error;
  }
}

/** The ISO country of an E.164 number, or undefined when libphonenumber cannot tell. */
export function phoneNumberCountry(e164: string): string | undefined {
  try {
    return parsePhoneNumberWithError(e164).country;
  } catch {
    return undefined;
  }
}
