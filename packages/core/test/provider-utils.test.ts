import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors.js';
import {
  assertEncodableText,
  closedProviderError,
  httpAnswerError,
  kindFromHttpStatus,
  networkError,
  PLUGIN_EXCEPTION_CODE,
  parseMoney,
  parseRetryAfter,
  unreadableAnswerError,
} from '../src/provider-utils.js';

describe('provider utilities', () => {
  it('treats a refused connection as transient and a reset as ambiguous', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(networkError(refused, 'p').kind).toBe('transient');
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(networkError(reset, 'p')).toMatchObject({ kind: 'ambiguous', providerCode: 'UND_ERR_SOCKET' });
  });

  it('never calls a plain exception from plugin code ambiguous: nothing left, so it is permanent', () => {
    let uriError: unknown;
    try {
      encodeURIComponent('\ud800');
    } catch (error) {
      uriError = error;
    }
    const programming = Object.assign(new TypeError('The "data" argument must be of type string'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
    for (const error of [uriError, new TypeError('x is undefined'), programming, 'a string']) {
      expect(networkError(error, 'p')).toMatchObject({
        kind: 'permanent',
        providerCode: PLUGIN_EXCEPTION_CODE,
        message: expect.stringContaining('nothing was sent'),
      });
    }
  });

  it('calls network failures after sending ambiguous and failures before it transient, whatever wraps them', () => {
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    expect(networkError(reset, 'p')).toMatchObject({ kind: 'ambiguous', providerCode: 'ECONNRESET' });
    const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    expect(networkError(timeout, 'p')).toMatchObject({ kind: 'ambiguous', providerCode: 'NETWORK' });
    expect(networkError(new SyntaxError('Unexpected end of JSON input'), 'p')).toMatchObject({
      kind: 'ambiguous',
      providerCode: 'UNREADABLE_ANSWER',
    });
    const certificate = new TypeError('fetch failed', {
      cause: Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }),
    });
    expect(networkError(certificate, 'p')).toMatchObject({
      kind: 'transient',
      providerCode: 'CERT_HAS_EXPIRED',
    });
  });

  it('reports an abort by our own signal as ambiguous and passes provider errors through', () => {
    const controller = new AbortController();
    controller.abort();
    expect(networkError(new Error('aborted'), 'p', controller.signal).providerCode).toBe('MSG_ABORTED');
    const original = new ProviderError({ kind: 'permanent', provider: 'p', message: 'x' });
    expect(networkError(original, 'p')).toBe(original);
  });

  it('parses Retry-After as seconds or as a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')),
    ).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('maps bare HTTP statuses', () => {
    expect([429, 503, 401, 400].map(kindFromHttpStatus)).toEqual([
      'rate-limited',
      'transient',
      'configuration',
      'permanent',
    ]);
  });

  it('parses provider money strings exactly', () => {
    expect(parseMoney('KES 0.8000')).toEqual({ amount: '0.8000', currency: 'KES' });
    expect(parseMoney('-0.00750', 'usd')).toEqual({ amount: '0.00750', currency: 'USD' });
    expect(parseMoney('None')).toBeUndefined();
    expect(parseMoney('0.5')).toBeUndefined();
  });

  it('turns a bare HTTP answer into an error of its kind, with the code, Retry-After and one line of body', () => {
    const error = httpAnswerError(
      { status: 429, headers: { 'retry-after': ['3', '9'] }, body: '  Too\n many  requests ' },
      { provider: 'p', service: 'Acme' },
    );
    expect(error).toMatchObject({
      kind: 'rate-limited',
      providerCode: 'HTTP_429',
      httpStatus: 429,
      retryAfterMs: 3000,
    });
    expect(error.message).toBe('Acme answered HTTP 429: Too many requests');
    const unavailable = httpAnswerError(
      { status: 503, headers: { 'retry-after': '3' }, body: '' },
      { provider: 'p', service: 'Acme' },
    );
    expect(unavailable).toMatchObject({
      kind: 'transient',
      retryAfterMs: undefined,
      message: 'Acme answered HTTP 503',
    });
  });

  it('calls an unreadable 2xx ambiguous and a closed provider transient', () => {
    const cause = new SyntaxError('Unexpected token');
    expect(unreadableAnswerError(200, { provider: 'p', service: 'Acme', cause })).toMatchObject({
      kind: 'ambiguous',
      providerCode: 'UNREADABLE_ANSWER',
      httpStatus: 200,
      cause,
    });
    expect(closedProviderError('p')).toMatchObject({
      kind: 'transient',
      providerCode: 'MSG_CLOSED',
      provider: 'p',
    });
  });

  it('refuses a lone surrogate as permanent, naming the field, and passes paired ones', () => {
    expect(() => assertEncodableText('p', { text: 'emoji 🎉 ok', subject: undefined })).not.toThrow();
    let caught: unknown;
    try {
      assertEncodableText('p', { text: 'fine', subject: 'cut \ud83d' });
    } catch (error) {
      caught = error;
    }
    expect(ProviderError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ kind: 'permanent', provider: 'p', providerCode: 'UNENCODABLE_TEXT' });
    expect((caught as Error).message).toMatch(/^subject holds a lone UTF-16 surrogate at index 4/);
  });
});
