import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** POST parameters of a callback; a repeated key carries every value. */
export type TwilioParams = Readonly<Record<string, string | readonly string[]>>;

/** Every parameter's name and value, sorted by name: what Twilio signs after the URL. */
function signedParams(params: TwilioParams): string {
  let data = '';
  for (const key of Object.keys(params).sort()) {
    const value = params[key] as string | readonly string[];
    // A repeated parameter contributes each distinct value once, in sorted order.
    const values = typeof value === 'string' ? [value] : [...new Set(value)].sort();
    for (const item of values) data += key + item;
  }
  return data;
}

/** The string Twilio signs: the URL, then every parameter's name and value, sorted by name. */
export function twilioSignedData(url: string, params: TwilioParams): string {
  return url + signedParams(params);
}

function sameText(given: string, expected: string): boolean {
  const left = Buffer.from(given, 'utf8');
  const right = Buffer.from(expected, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i;

/** Twilio signs the URL as configured; proxies add or drop the default port, so try both forms. */
function withAndWithoutPort(url: string): string[] {
  const match = AUTHORITY.exec(url);
  if (!match) return [url];
  const [prefix, scheme, authority] = match as unknown as [string, string, string];
  const rest = url.slice(prefix.length);
  const userInfoEnd = authority.lastIndexOf('@');
  const userInfo = authority.slice(0, userInfoEnd + 1);
  const hostAndPort = authority.slice(userInfoEnd + 1);
  // In an IPv6 literal the port's colon comes after the closing bracket.
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  const host = portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart);
  const port =
    portStart === -1 ? (scheme.toLowerCase() === 'https://' ? ':443' : ':80') : hostAndPort.slice(portStart);
  return [scheme + userInfo + host + rest, scheme + userInfo + host + port + rest];
}

/**
 * The forms of the URL Twilio may have signed: first the URL as received (the usual match, so one
 * HMAC suffices), then, only if that fails, the forms with and without the default port and
 * re-encoded.
 */
export function* urlCandidates(url: string): Generator<string> {
  yield url;
  const seen = new Set([url]);
  const others = withAndWithoutPort(url);
  try {
    // A host that re-encoded the URL (`'` -> `%27`) still matches Twilio's normalised form.
    for (const candidate of withAndWithoutPort(new URL(url).toString())) others.push(candidate);
  } catch {
    // Not a URL: only the text as given can match.
  }
  for (const candidate of others) {
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    yield candidate;
  }
}

/** base64(HMAC-SHA1(authToken, data)): the `X-Twilio-Signature` value for `data`. */
export function twilioSignature(authToken: string, url: string, params: TwilioParams): string {
  return createHmac('sha1', authToken).update(twilioSignedData(url, params), 'utf8').digest('base64');
}

export interface TwilioSignatureInput {
  authToken: string;
  /** The `X-Twilio-Signature` header. */
  signature: string | undefined;
  /** The full URL Twilio called, with its query string. */
  url: string;
}

/** Checks a form-encoded (or bodiless) request's signature, compared in constant time. */
export function verifyTwilioSignature(input: TwilioSignatureInput & { params: TwilioParams }): boolean {
  const signature = input.signature ?? '';
  if (signature.length === 0) return false;
  const params = signedParams(input.params);
  for (const url of urlCandidates(input.url)) {
    const expected = createHmac('sha1', input.authToken)
      .update(url + params, 'utf8')
      .digest('base64');
    if (sameText(signature, expected)) return true;
  }
  return false;
}

/**
 * Checks a JSON-bodied request: Twilio puts `bodySHA256=hex(sha256(body))` in the URL and signs
 * the URL alone, so both the signature and the body hash must match.
 */
export function verifyTwilioBodySignature(
  input: TwilioSignatureInput & { body: string | Uint8Array },
): boolean {
  let expectedHash: string | null;
  try {
    expectedHash = new URL(input.url).searchParams.get('bodySHA256');
  } catch {
    return false;
  }
  if (!expectedHash) return false;
  const bodyHash = createHash('sha256').update(input.body).digest('hex');
  const hashMatches = sameText(expectedHash, bodyHash);
  return verifyTwilioSignature({ ...input, params: {} }) && hashMatches;
}

/** Form body -> parameters, keeping repeated keys as lists. */
export function parseFormParams(body: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const existing = params[key];
    if (existing === undefined) params[key] = value;
    else params[key] = typeof existing === 'string' ? [existing, value] : [...existing, value];
  }
  return params;
}
