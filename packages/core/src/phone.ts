import { type CountryCode, ParseError, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { ValidationError, type ValidationIssue } from './errors.js';

export interface NormalizePhoneOptions {
  /** ISO 3166 country (`ZM`) used when the input has no `+` country code. */
  defaultCountry?: string;
}

/**
 * One number as people write it: an optional leading `+`, ASCII digits, and spaces, dots, dashes
 * and brackets between them. libphonenumber's own parser is lenient (it reads the first number out
 * of `+260971234567;DROP TABLE`, `+260971234567, +260971234568`, full-width digits or a trailing
 * NUL), so anything else is refused before it is parsed.
 */
const ONE_NUMBER = /^\+?[0-9(][0-9 ().-]*$/;

function describeInput(input: string): string {
  return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
}

/**
 * Normalises a phone number to E.164 with libphonenumber's full metadata, so that a number with
 * the wrong length or an unassigned range is refused before any provider sees it. The input must
 * be exactly one number: every digit of it must end up in the result.
 */
export function normalizePhoneNumber(input: string, options: NormalizePhoneOptions = {}): string {
  if (typeof input !== 'string' || input.trim().length === 0) {
    throw new ValidationError([{ path: '', message: 'phone number is required' }]);
  }
  const trimmed = input.trim();
  if (!ONE_NUMBER.test(trimmed)) {
    throw new ValidationError([
      {
        path: '',
        message: `${describeInput(input)} is not one phone number: only a leading +, digits 0-9, spaces, dots, dashes and brackets are allowed`,
      },
    ]);
  }
  if (!trimmed.startsWith('+') && !options.defaultCountry) {
    throw new ValidationError([
      {
        path: '',
        message: `${describeInput(input)} is not in E.164 form (+ and country code, e.g. +260971234567)`,
      },
    ]);
  }
  try {
    const parsed = parsePhoneNumberWithError(trimmed, options.defaultCountry as CountryCode | undefined);
    const digits = trimmed.replace(/\D/g, '');
    // Nothing dropped: the parser must have used every digit it was given.
    const complete = trimmed.startsWith('+')
      ? digits === parsed.number.slice(1)
      : digits.endsWith(parsed.nationalNumber);
    if (!complete || !parsed.isValid()) {
      throw new ValidationError([
        { path: '', message: `${describeInput(input)} is not a valid phone number` },
      ]);
    }
    return parsed.number;
  } catch (error) {
    if (error instanceof ParseError) {
      throw new ValidationError([
        { path: '', message: `${describeInput(input)} is not a phone number (${error.message})` },
      ]);
    }
    throw error;
  }
}

/**
 * `normalizePhoneNumber` for a message field: the E.164 number, or the input unchanged with the
 * problems added to `issues` under `path`.
 */
export function checkPhoneNumber(
  input: string,
  path: string,
  issues: ValidationIssue[],
  defaultCountry?: string,
): string {
  try {
    return normalizePhoneNumber(input, defaultCountry === undefined ? {} : { defaultCountry });
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error;
    for (const issue of error.issues) issues.push({ path, message: issue.message });
    return input;
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
