import { describe, expect, it } from 'vitest';
import { type SignatureMethod, signedString, verifyVonageSignature, vonageSignature } from '../src/index.js';

/**
 * Vonage's public vectors: `Vonage/vonage-node-sdk`
 * `packages/sms/__tests__/__dataSets__/signature.ts`, one per signature method.
 */
const PARAMS = {
  'message-timestamp': '2013-11-21 15:27:30',
  messageId: '020000001B0FE827',
  msisdn: '14843472194',
  text: 'Test again',
  timestamp: '1385047698',
  to: '13239877404',
  type: 'text',
};
const SECRET = 'my_secret_key_for_testing';
const VECTORS: Record<SignatureMethod, string> = {
  md5hash: 'd2e7b1dc968737c5998ad624e02f90b7',
  md5: 'DDEBD46008C2D4E93CCE578A332A52D5',
  sha1: '27D0D05C2876C7CB1720DBCDBA4D492E1E55C09A',
  sha256: 'DDB8397C2B90AAC7F3882D306475C9A5058C92322EEF43C92B298B6E0FC0D330',
  sha512:
    'E0D3C650F8C9D1A5C174D10DDDBFB003E561F59B265616208B0487C5D819481CD3C311D59CF6165ECD1139622D5BA3A256C0D763AC4A9AD9144B5A426B94FE82',
};

describe('Vonage signatures', () => {
  it.each(Object.entries(VECTORS))('computes the public %s vector', (method, expected) => {
    expect(vonageSignature(PARAMS, SECRET, method as SignatureMethod)).toBe(expected.toLowerCase());
  });

  it.each(Object.entries(VECTORS))(
    'verifies the %s vector in either case and refuses a changed one',
    (method, expected) => {
      const signatureMethod = method as SignatureMethod;
      expect(verifyVonageSignature({ ...PARAMS, sig: expected }, SECRET, signatureMethod)).toBe(true);
      expect(verifyVonageSignature({ ...PARAMS, sig: expected.toLowerCase() }, SECRET, signatureMethod)).toBe(
        true,
      );
      expect(
        verifyVonageSignature({ ...PARAMS, sig: expected, text: 'Test again!' }, SECRET, signatureMethod),
      ).toBe(false);
      expect(verifyVonageSignature({ ...PARAMS, sig: expected }, `${SECRET}x`, signatureMethod)).toBe(false);
    },
  );

  it('refuses a signature made with another method', () => {
    expect(verifyVonageSignature({ ...PARAMS, sig: VECTORS.sha256 }, SECRET, 'sha512')).toBe(false);
    expect(verifyVonageSignature({ ...PARAMS, sig: VECTORS.md5 }, SECRET, 'md5hash')).toBe(false);
  });

  it('refuses a missing, empty, non-hex or truncated sig', () => {
    for (const sig of [undefined, '', 'not-hex', VECTORS.sha1.slice(0, -2), `${VECTORS.sha1}0`]) {
      const params = sig === undefined ? { ...PARAMS } : { ...PARAMS, sig };
      expect(verifyVonageSignature(params, SECRET, 'sha1'), String(sig)).toBe(false);
    }
  });

  it('signs "&name=value" pairs sorted by name without sig, with & and = in values as _', () => {
    expect(signedString({ b: 'x&y=z', a: '1', sig: 'ignored' })).toBe('&a=1&b=x_y_z');
  });
});
