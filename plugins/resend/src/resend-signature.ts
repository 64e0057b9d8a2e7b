import { createHmac, timingSafeEqual } from 'node:crypto';

/** Svix / Standard Webhooks headers; Resend sends the `svix-` ones, the spec names `webhook-`. */
export const ID_HEADERS = ['svix-id', 'webhook-id'] as const;
export const TIMESTAMP_HEADERS = ['svix-timestamp', 'webhook-timestamp'] as const;
export const SIGNATURE_HEADERS = ['svix-signature', 'webhook-signature'] as const;

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional). */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('the webhook secret is empty');
  return key;
}

/** `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, as Svix signs. */
export function signWebhook(
  secret: string,
  id: string,
  timestamp: string,
  body: string | Uint8Array,
): string {
  const mac = createHmac('sha256', secretKey(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/**
 * Whether any `v1,` entry of a space-separated signature header (several during a key rotation)
 * matches one of the keys, compared in constant time.
 */
export function signatureMatches(input: {
  keys: readonly Buffer[];
  id: string;
  timestamp: string;
  rawBody: Uint8Array;
  header: string;
}): boolean {
  const given = input.header
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => Buffer.from(value as string, 'base64'));
  for (const key of input.keys) {
    const mac = createHmac('sha256', key);
    mac.update(`${input.id}.${input.timestamp}.`);
    mac.update(input.rawBody);
    const expected = mac.digest();
    if (
      given.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected))
    ) {
      return true;
    }
  }
  return false;
}
