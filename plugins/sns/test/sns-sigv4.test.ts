import { describe, expect, it } from 'vitest';
import { computeSigV4Signature, parseAmzDate, parseSigV4Authorization } from '../src/sns-sigv4.js';

// The AWS Signature Version 4 test suite (get-vanilla, post-vanilla, get-vanilla-query-order-key-case).
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const HEADERS = { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' };
const authorization = (signature: string) =>
  parseSigV4Authorization(
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
  );

describe('the simulator SigV4 check', () => {
  it.each([
    ['get-vanilla', 'GET', '', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['post-vanilla', 'POST', '', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    [
      'get-vanilla-query-order-key-case',
      'GET',
      'Param2=value2&Param1=value1',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
  ])('computes the AWS test-suite signature for %s', (_name, method, query, expected) => {
    const parsed = authorization(expected);
    if (!parsed) throw new Error('the test vector header did not parse');
    const request = {
      method,
      path: '/',
      query: new URLSearchParams(query),
      headers: HEADERS,
      body: Buffer.alloc(0),
    };
    expect(computeSigV4Signature(request, parsed, SECRET)).toBe(expected);
    expect(computeSigV4Signature(request, parsed, `${SECRET}x`)).not.toBe(expected);
  });

  it('reads the credential scope from the Authorization header', () => {
    expect(authorization('0'.repeat(64))).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      date: '20150830',
      region: 'us-east-1',
      service: 'service',
      signedHeaders: ['host', 'x-amz-date'],
      signature: '0'.repeat(64),
    });
    expect(
      parseSigV4Authorization('AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sns/aws4_request'),
    ).toBeUndefined();
    expect(parseSigV4Authorization('Basic dXNlcjpwYXNz')).toBeUndefined();
  });

  it('parses X-Amz-Date as UTC', () => {
    expect(parseAmzDate('20150830T123600Z')).toBe(Date.UTC(2015, 7, 30, 12, 36, 0));
    expect(parseAmzDate('2015-08-30T12:36:00Z')).toBeNaN();
  });
});
