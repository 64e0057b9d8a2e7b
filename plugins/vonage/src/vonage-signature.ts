import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The methods a Vonage account can sign with; `md5hash` is the dashboard's default. */
export const SIGNATURE_METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/**
 * The string Vonage signs: every parameter but `sig`, sorted by name, as `&name=value`, with `&`
 * and `=` inside values replaced by `_`. The leading `&` stays.
 */
export function signedString(params: Readonly<Record<string, string>>): string {
  let text = '';
  for (const name of Object.keys(params).sort()) {
    if (name === 'sig') continue;
    text += `&${name}=${(params[name] as string).replace(/[&=]/g, '_')}`;
  }
  return text;
}

/** The signature Vonage sends as `sig`, in lower-case hex. */
export function vonageSignature(
  params: Readonly<Record<string, string>>,
  secret: string,
  method: SignatureMethod,
): string {
  const text = signedString(params);
  if (method === 'md5hash')
    return createHash('md5')
      .update(text + secret, 'utf8')
      .digest('hex');
  return createHmac(method, secret).update(text, 'utf8').digest('hex');
}

/** Whether `sig` matches, compared in constant time and case-insensitively (Vonage sends either case). */
export function verifyVonageSignature(
  params: Readonly<Record<string, string>>,
  secret: string,
  method: SignatureMethod,
): boolean {
  const given = params.sig;
  const expected = vonageSignature(params, secret, method);
  // Buffer.from(hex) drops a trailing odd digit: the lengths must match as text first.
  if (!given || given.length !== expected.length || !/^[0-9a-fA-F]+$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(expected, 'hex'));
}
