import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  computeSigV4Signature,
  parseAmzDate,
  parseSigV4Authorization,
  type SigV4Authorization,
  type SigV4Request,
  verifySigV4Signature,
} from '../src/sigv4.js';

// The AWS Signature Version 4 test suite: credentials, date and expected signatures as AWS publishes them.
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const HOST = { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' };
const SESSION_TOKEN =
  'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';

interface Vector {
  name: string;
  method: string;
  path?: string;
  query?: Array<[string, string]>;
  headers?: IncomingHttpHeaders;
  body?: string;
  signature: string;
}

const VECTORS: Vector[] = [
  {
    name: 'get-vanilla',
    method: 'GET',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'post-vanilla',
    method: 'POST',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    query: [
      ['Param2', 'value2'],
      ['Param1', 'value1'],
    ],
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-query-unreserved',
    method: 'GET',
    query: [
      [
        '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
        '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
      ],
    ],
    signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
  },
  {
    name: 'get-vanilla-utf8-query',
    method: 'GET',
    query: [['ሴ', 'bar']],
    signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
  },
  {
    name: 'post-vanilla-query-nonunreserved',
    method: 'POST',
    query: [
      ['@#$%^', ''],
      ['+', '/,?><`";:\\|][{}'],
    ],
    signature: '66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e',
  },
  {
    name: 'get-unreserved',
    method: 'GET',
    path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'get-utf8',
    method: 'GET',
    path: '/ሴ',
    signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    headers: { 'my-header1': 'value1', 'my-header2': '"a   b   c"' },
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'get-header-key-duplicate',
    method: 'GET',
    headers: { 'my-header1': ['value2', 'value2', 'value1'] },
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'post-sts-header-before',
    method: 'POST',
    headers: { 'x-amz-security-token': SESSION_TOKEN },
    signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Param1=value1',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
];

function requestOf(vector: Vector): SigV4Request {
  return {
    method: vector.method,
    path: vector.path ?? '/',
    query: new URLSearchParams(vector.query ?? []),
    headers: { ...HOST, ...vector.headers },
    body: Buffer.from(vector.body ?? '', 'utf8'),
  };
}

function authorizationOf(vector: Vector, signature = vector.signature): SigV4Authorization {
  const signed = Object.keys({ ...HOST, ...vector.headers })
    .sort()
    .join(';');
  const parsed = parseSigV4Authorization(
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signed}, Signature=${signature}`,
  );
  if (!parsed) throw new Error(`the header of ${vector.name} did not parse`);
  return parsed;
}

describe('SigV4 verification', () => {
  it.each(VECTORS.map((vector) => [vector.name, vector] as const))(
    'computes the AWS test-suite signature for %s',
    (_name, vector) => {
      const request = requestOf(vector);
      const authorization = authorizationOf(vector);
      expect(computeSigV4Signature(request, authorization, SECRET)).toBe(vector.signature);
      expect(verifySigV4Signature(request, authorization, SECRET)).toBe(true);
      expect(computeSigV4Signature(request, authorization, `${SECRET}x`)).not.toBe(vector.signature);
      expect(verifySigV4Signature(request, authorization, `${SECRET}x`)).toBe(false);
    },
  );

  const [postForm] = VECTORS.filter((vector) => vector.name === 'post-x-www-form-urlencoded') as [Vector];

  it('refuses a body changed after signing', () => {
    const request = { ...requestOf(postForm), body: Buffer.from('Param1=value2', 'utf8') };
    expect(verifySigV4Signature(request, authorizationOf(postForm), SECRET)).toBe(false);
  });

  it('refuses a signed header changed after signing', () => {
    const request = requestOf(postForm);
    request.headers['content-type'] = 'application/json';
    expect(verifySigV4Signature(request, authorizationOf(postForm), SECRET)).toBe(false);
  });

  it('refuses a body that does not match its declared x-amz-content-sha256', () => {
    const hash = createHash('sha256').update('Param1=value1').digest('hex');
    const withHash = { ...postForm, headers: { ...postForm.headers, 'x-amz-content-sha256': hash } };
    const signature = computeSigV4Signature(
      requestOf(withHash),
      authorizationOf(withHash, '0'.repeat(64)),
      SECRET,
    );
    const authorization = authorizationOf(withHash, signature);
    expect(verifySigV4Signature(requestOf(withHash), authorization, SECRET)).toBe(true);
    const tampered = { ...requestOf(withHash), body: Buffer.from('Param1=value2', 'utf8') };
    expect(verifySigV4Signature(tampered, authorization, SECRET)).toBe(false);
  });

  it('normalises the path and escapes an already-encoded one again, as AWS does outside S3', () => {
    const authorization = authorizationOf(VECTORS[0] as Vector, '0'.repeat(64));
    const signature = (path: string) =>
      computeSigV4Signature({ ...requestOf(VECTORS[0] as Vector), path }, authorization, SECRET);
    expect(signature('//./')).toBe(signature('/'));
    expect(signature('/example/..')).toBe(signature('/'));
    expect(signature('/a%40b')).not.toBe(signature('/a@b'));
  });

  it('reads the credential scope from the Authorization header', () => {
    expect(
      parseSigV4Authorization(
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      ),
    ).toEqual({
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
    expect(parseSigV4Authorization(undefined)).toBeUndefined();
  });

  it('parses X-Amz-Date as UTC', () => {
    expect(parseAmzDate('20150830T123600Z')).toBe(Date.UTC(2015, 7, 30, 12, 36, 0));
    expect(parseAmzDate('2015-08-30T12:36:00Z')).toBeNaN();
  });
});
