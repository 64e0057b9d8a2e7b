import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header with the unix time (seconds) the callback was signed at. */
export const TIMESTAMP_HEADER = 'msg-timestamp';
/** Header `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export const SIGNATURE_HEADER = 'msg-signature';

/** The `Msg-Signature` value for a body sent at `timestamp` (unix seconds). */
export function signCallback(secret: string, timestamp: number, body: string | Uint8Array): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export interface VerifyCallbackOptions {
  /** Oldest accepted timestamp, in seconds from now (replay window). */
  toleranceSeconds?: number;
  now?: number;
}

/**
 * What a client runs on a status callback: checks the signature over timestamp and raw body in
 * constant time, and refuses a timestamp outside the window.
 */
export function verifyCallback(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string | Uint8Array,
  options: VerifyCallbackOptions = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return false;
  const now = (options.now ?? Date.now()) / 1000;
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signCallback(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
