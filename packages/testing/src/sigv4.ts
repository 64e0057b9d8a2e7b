import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * AWS Signature Version 4 checked the way an AWS endpoint checks it, for simulators of AWS
 * services (SNS, SES, ...). It recomputes the signature from the request as received; the caller
 * decides what to answer (each service words its errors its own way).
 */

/** The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export interface SigV4Authorization {
  accessKeyId: string;
  /** `YYYYMMDD` from the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** A request as the simulator received it. */
export interface SigV4Request {
  method: string;
  /** The path as the client sent it, still percent-encoded (`SimulatorRequest.path`). */
  path: string;
  query: URLSearchParams;
  /** Lower-case names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

const AUTHORIZATION_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})$/;
const CONTENT_HASH_HEADER = 'x-amz-content-sha256';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Parses the header the SDK's SigV4 signer writes; `undefined` when it does not have that shape. */
export function parseSigV4Authorization(header: string | undefined): SigV4Authorization | undefined {
  const match = header === undefined ? null : AUTHORIZATION_PATTERN.exec(header);
  if (!match) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] =
    match;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** `20240102T030405Z` to epoch milliseconds; NaN when malformed. */
export function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 escaping, as the SDK's `escapeUri` does it. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Empty and `.` segments dropped, `..` resolved, each segment escaped once more: every service
 * but S3 signs the already-encoded path encoded again, and the SDK signs it so.
 */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(escapeUri(segment));
  }
  return `/${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
}

/** Pairs sorted by escaped name, then by escaped value. */
function canonicalQuery(query: URLSearchParams): string {
  return [...query.entries()]
    .map(([name, value]) => [escapeUri(name), escapeUri(value)] as const)
    .sort(([leftName, leftValue], [rightName, rightValue]) =>
      leftName === rightName ? compare(leftValue, rightValue) : compare(leftName, rightName),
    )
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Values of a repeated header joined by commas, trimmed, inner runs of spaces folded. */
function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

/** The payload hash the client signed: its `x-amz-content-sha256` header when sent, else the body's. */
function payloadHash(request: SigV4Request): string {
  const declared = request.headers[CONTENT_HASH_HEADER];
  return typeof declared === 'string' ? declared : sha256Hex(request.body);
}

/** The signature AWS would compute for `request` with this secret, per the SigV4 specification. */
export function computeSigV4Signature(
  request: SigV4Request,
  authorization: SigV4Authorization,
  secretAccessKey: string,
): string {
  const canonicalRequest = [
    request.method,
    canonicalPath(request.path),
    canonicalQuery(request.query),
    ...authorization.signedHeaders.map((name) => `${name}:${headerValue(request.headers, name)}`),
    '',
    authorization.signedHeaders.join(';'),
    payloadHash(request),
  ].join('\n');
  const scope = `${authorization.date}/${authorization.region}/${authorization.service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    headerValue(request.headers, 'x-amz-date'),
    scope,
    sha256Hex(canonicalRequest),
  ].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, authorization.date);
  for (const part of [authorization.region, authorization.service, 'aws4_request']) key = hmac(key, part);
  return hmac(key, stringToSign).toString('hex');
}

/**
 * Whether the request carries the signature this secret gives (compared in constant time) and a
 * declared `x-amz-content-sha256`, if any, matches the body that arrived.
 */
export function verifySigV4Signature(
  request: SigV4Request,
  authorization: SigV4Authorization,
  secretAccessKey: string,
): boolean {
  const declared = request.headers[CONTENT_HASH_HEADER];
  if (typeof declared === 'string' && declared !== UNSIGNED_PAYLOAD && declared !== sha256Hex(request.body))
    return false;
  const expected = Buffer.from(computeSigV4Signature(request, authorization, secretAccessKey), 'hex');
  const given = Buffer.from(authorization.signature, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
