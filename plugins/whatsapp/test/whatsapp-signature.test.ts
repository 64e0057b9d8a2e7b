import { describe, expect, it } from 'vitest';
import { escapeNonAscii, hubSignature, verifyHubSignature } from '../src/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * GitHub's public vector for the same scheme (`X-Hub-Signature-256: sha256=` + hex HMAC-SHA256 of
 * the raw body): `github/docs` `content/webhooks/using-webhooks/validating-webhook-deliveries.md`,
 * "Testing the webhook payload validation". Meta publishes none for WhatsApp.
 */
const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_PAYLOAD = 'Hello, World!';
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

/**
 * Our own vector with non-ASCII text, as Meta signs it: over the body with every non-ASCII UTF-16
 * unit escaped as lower-case `\uXXXX`. Computed independently with
 * `printf '%s' '<escaped body>' | openssl dgst -sha256 -hmac msg-whatsapp-vector-secret`.
 */
const OUR_SECRET = 'msg-whatsapp-vector-secret';
const ESCAPED_BODY = '{"name":"Zo\\u00eb","text":"\\u00e7a va? \\ud83d\\ude00"}';
const UTF8_BODY = '{"name":"Zoë","text":"ça va? 😀"}';
const OUR_SIGNATURE = 'sha256=ea612442ab8ad1f33abcb181830a170a0c81d613901b2e0fc10b27abae25ec0f';

describe('X-Hub-Signature-256', () => {
  it("computes and verifies GitHub's public vector", () => {
    expect(hubSignature(GITHUB_PAYLOAD, GITHUB_SECRET)).toBe(GITHUB_SIGNATURE);
    expect(verifyHubSignature(GITHUB_SIGNATURE, bytes(GITHUB_PAYLOAD), GITHUB_SECRET)).toBe(true);
    expect(
      verifyHubSignature(
        GITHUB_SIGNATURE.toUpperCase().replace('SHA256=', 'sha256='),
        bytes(GITHUB_PAYLOAD),
        GITHUB_SECRET,
      ),
    ).toBe(true);
  });

  it('refuses the vector with the body, the secret or the signature changed', () => {
    expect(verifyHubSignature(GITHUB_SIGNATURE, bytes('Hello, World?'), GITHUB_SECRET)).toBe(false);
    expect(verifyHubSignature(GITHUB_SIGNATURE, bytes(GITHUB_PAYLOAD), `${GITHUB_SECRET}!`)).toBe(false);
    for (const header of [
      undefined,
      '',
      GITHUB_SIGNATURE.slice(7),
      `sha1=${GITHUB_SIGNATURE.slice(7)}`,
      GITHUB_SIGNATURE.slice(0, -2),
      `${GITHUB_SIGNATURE}00`,
      `${GITHUB_SIGNATURE.slice(0, -1)}g`,
    ]) {
      expect(verifyHubSignature(header, bytes(GITHUB_PAYLOAD), GITHUB_SECRET), String(header)).toBe(false);
    }
  });

  it('escapes non-ASCII as Meta does: lower-case \\uXXXX per UTF-16 unit', () => {
    expect(escapeNonAscii(UTF8_BODY)).toBe(ESCAPED_BODY);
    expect(escapeNonAscii('plain ascii / "quoted"')).toBe('plain ascii / "quoted"');
  });

  it('verifies our non-ASCII vector on the escaped wire body, and on the same body decoded to UTF-8', () => {
    expect(hubSignature(ESCAPED_BODY, OUR_SECRET)).toBe(OUR_SIGNATURE);
    expect(verifyHubSignature(OUR_SIGNATURE, bytes(ESCAPED_BODY), OUR_SECRET)).toBe(true);
    expect(verifyHubSignature(OUR_SIGNATURE, bytes(UTF8_BODY), OUR_SECRET)).toBe(true);
    expect(verifyHubSignature(OUR_SIGNATURE, bytes(UTF8_BODY.replace('ç', 'c')), OUR_SECRET)).toBe(false);
  });
});
