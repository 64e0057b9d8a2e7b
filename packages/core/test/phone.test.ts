import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/errors.js';
import { normalizePhoneNumber, phoneNumberCountry } from '../src/phone.js';

describe('normalizePhoneNumber', () => {
  it('normalises spaced and dashed numbers to E.164', () => {
    expect(normalizePhoneNumber('+260 97 123 4567')).toBe('+260971234567');
    expect(normalizePhoneNumber('+1 (415) 555-2671')).toBe('+14155552671');
  });

  it('accepts national numbers only with a default country', () => {
    expect(normalizePhoneNumber('0971234567', { defaultCountry: 'ZM' })).toBe('+260971234567');
    expect(() => normalizePhoneNumber('0971234567')).toThrow(/E\.164/);
  });

  it('refuses numbers of the wrong length or made of letters with a ValidationError', () => {
    for (const bad of ['+26097123', '+2609712345678', 'hello', '', '+999123456789']) {
      let caught: unknown;
      try {
        normalizePhoneNumber(bad);
      } catch (error) {
        caught = error;
      }
      expect(ValidationError.isInstance(caught), bad).toBe(true);
    }
  });

  it('tells the country of a number', () => {
    expect(phoneNumberCountry('+260961234567')).toBe('ZM');
  });
});

describe('normalizePhoneNumber takes exactly one number', () => {
  it.each([
    ['a trailing SQL statement', '+260971234567;DROP TABLE messages'],
    ['full-width digits', '+２６０９７１２３４５６７'],
    ['a trailing NUL', '+260971234567\u0000'],
    ['a second number after a comma', '+260971234567, +260971234568'],
    ['a second number after a space', '+260971234567 +260971234568'],
    ['an extension', '+260971234567 ext. 12'],
    ['an RFC 3966 extension', '+260971234567;ext=12'],
    ['a trailing comma', '+260971234567,'],
    ['a trailing word', '+260971234567 x'],
    ['a tel: URI', 'tel:+260971234567'],
  ])('refuses %s', (_what, input) => {
    let caught: unknown;
    try {
      normalizePhoneNumber(input);
    } catch (error) {
      caught = error;
    }
    expect(ValidationError.isInstance(caught)).toBe(true);
    expect((caught as ValidationError).issues[0]?.message).toMatch(/not one phone number|not a valid/);
  });
});
