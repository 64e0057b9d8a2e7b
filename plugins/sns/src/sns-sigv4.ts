import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header. */
export interface SigV4Authorization {
  accessKeyId: string;
  /** `YYYYMMDD` from the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTHORIZATION_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;_-]+), ?Signature=([0-9a-f]{64})$/;

/** Parses the header the SDK's SigV4 signer writes; `undefined` when it does not have that shape. */
export function parseSigV4Authorization(header: string | undefined): SigV4Authorization | undefined {
  const match = header === undefined ? null : AUTHORIZATION_PATTERN.exec(header);
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  return {
    accessKeyId: accessKeyId as string,
    date: date as string,
    region: region as string,
    service: service as string,
    signedHeaders: (signedHeaders as string).split(';'),
    signature: signature as string,
  };
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 escaping, as the SDK's `escapeUri` does it. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalPath(path: string): string {
  const segments = path.split('/').filter((segment) => segment.length > 0 && segment !== '.');
  const escaped = segments.map((segment) => escapeUri(decodeURIComponent(segment))).join('/');
  return `/${escaped}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
}

function canonicalQuery(query: URLSearchParams): string {
  return [...query.entries()]
    .map(([key, value]) => `${escapeUri(key)}=${escapeUri(value)}`)
    .sort()
    .join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

export interface SigV4Request {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The signature AWS would compute for `request` with this secret, per the SigV4 specification. */
export function computeSigV4Signature(
  request: SigV4Request,
  authorization: SigV4Authorization,
  secretAccessKey: string,
): string {
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [
    request.method,
    canonicalPath(request.path),
    canonicalQuery(request.query),
    ...authorization.signedHeaders.map((name) => `${name}:${headerValue(request.headers, name)}`),
    '',
    authorization.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${authorization.date}/${authorization.region}/${authorization.service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    headerValue(request.headers, 'x-amz-date'),
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const dateKey = hmac(`AWS4${secretAccessKey}`, authorization.date);
  const signingKey = hmac(hmac(hmac(dateKey, authorization.region), authorization.service), 'aws4_request');
  return hmac(signingKey, stringToSign).toString('hex');
}

export function signaturesEqual(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `20240102T030405Z` to epoch milliseconds; NaN when malformed. */
export function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}
