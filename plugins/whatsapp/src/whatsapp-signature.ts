import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';
const NON_ASCII = /[\u0080-\uffff]/g;

/**
 * The text with every non-ASCII UTF-16 unit written as a lower-case `\uXXXX` escape: the form Meta
 * computes its signature over ("we generate the signature using an escaped unicode version of the
 * payload, with lowercase hex digits", Meta's webhook docs as quoted in
 * `Secreto31126/whatsapp-api-js` issue #290). Inside JSON strings the escape means the same text.
 */
export function escapeNonAscii(text: string): string {
  return text.replace(NON_ASCII, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `X-Hub-Signature-256`: `sha256=` and the lower-case hex HMAC-SHA256 of the body under the app secret. */
export function hubSignature(body: Uint8Array | string, appSecret: string): string {
  return PREFIX + createHmac('sha256', appSecret).update(body).digest('hex');
}

function matches(given: Buffer, body: Uint8Array | string, appSecret: string): boolean {
  const expected = createHmac('sha256', appSecret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Whether `header` signs `rawBody`, compared in constant time. The exact bytes first (Meta's wire
 * body already carries the escapes); a body with non-ASCII bytes is also tried in its escaped
 * form, in case something on the way decoded the escapes. Parsed JSON is never re-serialised.
 */
export function verifyHubSignature(
  header: string | undefined,
  rawBody: Uint8Array,
  appSecret: string,
): boolean {
  if (!header?.startsWith(PREFIX)) return false;
  const hex = header.slice(PREFIX.length);
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  if (matches(given, rawBody, appSecret)) return true;
  const text = Buffer.from(rawBody).toString('utf8');
  const escaped = escapeNonAscii(text);
  return escaped !== text && matches(given, escaped, appSecret);
}
