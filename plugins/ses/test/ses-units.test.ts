import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sesErrorKind, toProviderError } from '../src/ses-error.js';
import { base64Lines, encodeHeaderText, encodeWords, formatMimeAddress } from '../src/ses-mime.js';
import { sanitizeTag } from '../src/ses-request.js';
import { createSelfSignedCertificate, positiveInteger } from '../src/ses-simulator-certificate.js';
import { isSnsUrl } from '../src/ses-sns.js';
import { decodeEncodedWords } from '../src/simulator.js';

describe('MIME helpers', () => {
  it('splits encoded words between whole characters and decodes back to the text', () => {
    const text = `${'☕'.repeat(40)} ok`;
    const encoded = encodeWords(text);
    const words = encoded.split('\r\n ');
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) {
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      expect(word.length).toBeLessThanOrEqual(75);
      // Every word holds whole UTF-8 characters on its own.
      expect(Buffer.from(word.slice(10, -2), 'base64').toString('utf8')).not.toContain('\uFFFD');
    }
    expect(decodeEncodedWords(encoded)).toBe(text);
  });

  it('leaves short plain ASCII header text alone and encodes control characters', () => {
    expect(encodeHeaderText('Your order')).toBe('Your order');
    expect(encodeHeaderText('evil\r\nBcc: x@y.z')).toMatch(/^=\?UTF-8\?B\?/);
  });

  it('quotes or encodes display names as needed', () => {
    expect(formatMimeAddress({ email: 'a@b.c' })).toBe('a@b.c');
    expect(formatMimeAddress({ email: 'a@b.c', name: 'Ann Banda' })).toBe('Ann Banda <a@b.c>');
    expect(formatMimeAddress({ email: 'a@b.c', name: 'Banda, "Ann"' })).toBe('"Banda, \\"Ann\\"" <a@b.c>');
    expect(formatMimeAddress({ email: 'a@b.c', name: 'Müller' })).toBe(
      `=?UTF-8?B?${Buffer.from('Müller').toString('base64')}?= <a@b.c>`,
    );
  });

  it('wraps base64 at 76 characters with CRLF', () => {
    const lines = base64Lines(Buffer.alloc(200, 7)).split('\r\n');
    expect(lines.map((line) => line.length)).toEqual([76, 76, 76, 40]);
  });
});

describe('tags and URLs', () => {
  it('keeps only the characters SES allows in tags, up to 256', () => {
    expect(sanitizeTag('a.b c/d-é_1')).toBe('a_b_c_d-__1');
    expect(sanitizeTag('x'.repeat(300))).toHaveLength(256);
  });

  it('accepts https SNS hosts, including China regions, and nothing else', () => {
    expect(isSnsUrl('https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-a.pem', '.pem')).toBe(
      true,
    );
    expect(isSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem', '.pem')).toBe(
      true,
    );
    expect(isSnsUrl('https://sns.eu-west-1.amazonaws.com.attacker.test/a.pem', '.pem')).toBe(false);
    expect(isSnsUrl('https://user@sns.eu-west-1.amazonaws.com/a.pem', '.pem')).toBe(false);
    expect(isSnsUrl('not a url')).toBe(false);
  });
});

describe('error mapping', () => {
  const signal = new AbortController().signal;
  const sdkError = (name: string, status: number, message: string, headers: Record<string, string> = {}) =>
    Object.assign(new Error(message), {
      name,
      $metadata: { httpStatusCode: status },
      $response: { headers },
    });

  it.each([
    ['TooManyRequestsException', 429, 'rate-limited'],
    ['LimitExceededException', 400, 'rate-limited'],
    ['InternalServiceErrorException', 500, 'transient'],
    ['MessageRejected', 400, 'permanent'],
    ['BadRequestException', 400, 'permanent'],
    ['MailFromDomainNotVerifiedException', 400, 'configuration'],
    ['AccountSuspendedException', 400, 'configuration'],
    ['SendingPausedException', 400, 'configuration'],
    ['NotFoundException', 404, 'configuration'],
    ['UnrecognizedClientException', 403, 'configuration'],
    ['InvalidSignatureException', 403, 'configuration'],
    ['AccessDeniedException', 403, 'configuration'],
    ['SomethingNewException', 502, 'transient'],
    ['SomethingNewException', 409, 'permanent'],
  ])('%s (HTTP %i) is %s', (name, status, kind) => {
    const error = toProviderError(sdkError(name, status, 'x'), 'ses-a', signal);
    expect(error).toMatchObject({ kind, providerCode: name, httpStatus: status, provider: 'ses-a' });
  });

  it('treats MessageRejected for an unverified address as configuration', () => {
    expect(
      sesErrorKind('MessageRejected', 'Email address is not verified. The following identities failed', 400),
    ).toBe('configuration');
  });

  it('keeps a Retry-After header on a rate-limited error', () => {
    const error = toProviderError(
      sdkError('TooManyRequestsException', 429, 'slow down', { 'retry-after': '3' }),
      'ses-a',
      signal,
    );
    expect(error.retryAfterMs).toBe(3000);
  });

  it('names a non-JSON answer by its HTTP status', () => {
    const error = toProviderError(sdkError('SyntaxError', 503, 'Unexpected token <'), 'ses-a', signal);
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'HTTP_503' });
  });

  it('treats missing credentials as configuration and a dropped socket as ambiguous', () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    expect(toProviderError(missing, 'ses-a', signal).kind).toBe('configuration');
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(toProviderError(reset, 'ses-a', signal).kind).toBe('ambiguous');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toProviderError(refused, 'ses-a', signal).kind).toBe('transient');
  });
});

describe("the simulator's self-signed certificate", () => {
  it('encodes its serial minimally, whatever bytes it draws (OpenSSL refuses a padded INTEGER)', () => {
    for (const serial of [
      Buffer.from([0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]),
      Buffer.from([0x00, 0x00, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]),
      Buffer.from([0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]),
    ]) {
      const { certificatePem } = createSelfSignedCertificate('sns.amazonaws.com', new Date(), 2, serial);
      expect(new X509Certificate(certificatePem).subject).toBe('CN=sns.amazonaws.com');
    }
    expect([...positiveInteger(Buffer.from([0, 0, 0x7f]))]).toEqual([0x7f]);
    expect([...positiveInteger(Buffer.from([0, 0x80]))]).toEqual([0, 0x80]);
    expect([...positiveInteger(Buffer.from([0x81]))]).toEqual([0, 0x81]);
  });
});
