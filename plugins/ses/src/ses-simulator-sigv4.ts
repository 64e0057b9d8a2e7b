import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SimulatorRequest } from '@msg/testing';

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

export interface SigV4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** The AWS error a bad signature gets: name, HTTP status and SES's wording. */
export interface SigV4Failure {
  error: string;
  status: number;
  message: string;
}

/** Reads `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`. */
export function parseAuthorization(request: SimulatorRequest): SigV4Credential | SigV4Failure {
  const header = request.headers.authorization;
  if (!header) {
    return {
      error: 'MissingAuthenticationTokenException',
      status: 403,
      message: 'Missing Authentication Token',
    };
  }
  const match = AUTHORIZATION.exec(header);
  if (!match) {
    return {
      error: 'IncompleteSignatureException',
      status: 400,
      message: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters`,
    };
  }
  const [, accessKeyId = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] =
    match;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

function hmac(key: Buffer | string, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Recomputes the SigV4 signature from the request as received and compares it. */
export function signatureMatches(
  request: SimulatorRequest,
  credential: SigV4Credential,
  secretAccessKey: string,
): boolean {
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const query = [...request.query.entries()]
    .map(([key, value]) => [encode(key), encode(value)])
    .sort(([a = '', x = ''], [b = '', y = '']) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const headers = credential.signedHeaders
    .map(
      (name) =>
        `${name}:${String(request.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash =
    (request.headers['x-amz-content-sha256'] as string | undefined) ??
    createHash('sha256').update(request.rawBody).digest('hex');
  const path = request.path
    .split('/')
    .map((segment) => encode(decodeURIComponent(segment)))
    .join('/');
  const canonical = [
    request.method,
    path,
    query,
    headers,
    credential.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${credential.date}/${credential.region}/${credential.service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, credential.date);
  for (const part of [credential.region, credential.service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  return timingSafeEqual(expected, Buffer.from(credential.signature, 'hex'));
}
