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
