import { describe, expect, it } from 'vitest';
import { murmur3, stableBucket } from '../src/hash.js';

describe('murmur3', () => {
  // Reference values of MurmurHash3_x86_32 (Appleby's smhasher).
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['a', 0, 0x3c2569b2],
    ['abc', 0, 0xb3dd93fa],
    ['Hello, world!', 0, 0xc0363e43],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ])('hashes %j with seed %i to the reference value', (input, seed, expected) => {
    expect(murmur3(input, seed)).toBe(expected);
  });

  it('gives a recipient the same bucket every time', () => {
    expect(stableBucket('+260971234567')).toBe(stableBucket('+260971234567'));
    expect(stableBucket('+260971234567', 100, 1)).toBeLessThan(100);
  });
});
