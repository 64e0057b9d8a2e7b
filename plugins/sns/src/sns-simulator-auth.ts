import {
  parseAmzDate,
  parseSigV4Authorization,
  type SimulatorRequest,
  type SimulatorResponse,
  verifySigV4Signature,
} from '@msg/testing';
import { errorResponse } from './sns-simulator-xml.js';

export interface SnsSimulatorAccount {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it in `x-amz-security-token` (temporary credentials). */
  sessionToken?: string | undefined;
}

export interface AuthSettings {
  accounts: ReadonlyMap<string, SnsSimulatorAccount>;
  /** The region the endpoint serves. */
  region: string;
  now(): number;
  /** Check the signature itself, not only its shape. */
  verifySignatures: boolean;
}

export const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
/** AWS refuses a request signed more than 15 minutes away from its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const INVALID_TOKEN = 'The security token included in the request is invalid.';

/**
 * Checks a request's SigV4 `Authorization` the way AWS does, in AWS's order, and answers its
 * `<ErrorResponse>` when it fails. On success it records the access key as `request.credential`.
 */
export function authenticate(
  request: SimulatorRequest,
  settings: AuthSettings,
): SimulatorResponse | undefined {
  const header = request.headers.authorization;
  if (!header)
    return errorResponse(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  const authorization = parseSigV4Authorization(header);
  if (!authorization) {
    return errorResponse(
      403,
      'IncompleteSignature',
      `'${header.split(' ')[0]}' is not a valid AWS4-HMAC-SHA256 authorization header`,
    );
  }
  const account = settings.accounts.get(authorization.accessKeyId);
  if (!account) return errorResponse(403, 'InvalidClientTokenId', INVALID_TOKEN);
  const token = request.headers['x-amz-security-token'];
  if (token !== account.sessionToken) {
    return errorResponse(403, 'InvalidClientTokenId', INVALID_TOKEN);
  }
  if (authorization.service !== 'sns') {
    return errorResponse(
      403,
      'SignatureDoesNotMatch',
      "Credential should be scoped to correct service: 'sns'. ",
    );
  }
  if (authorization.region !== settings.region) {
    return errorResponse(
      403,
      'SignatureDoesNotMatch',
      `Credential should be scoped to a valid region, not '${authorization.region}'. `,
    );
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const signedAt = parseAmzDate(amzDate);
  if (Number.isNaN(signedAt) || !amzDate.startsWith(authorization.date)) {
    return errorResponse(
      403,
      'IncompleteSignature',
      'Date in Credential scope does not match the X-Amz-Date header',
    );
  }
  if (Math.abs(settings.now() - signedAt) > MAX_CLOCK_SKEW_MS) {
    return errorResponse(
      403,
      'SignatureDoesNotMatch',
      `Signature expired: ${amzDate} is now earlier than the allowed 15 min.`,
    );
  }
  const signed = new Set(authorization.signedHeaders);
  const mustSign = ['host', 'x-amz-date', ...(token ? ['x-amz-security-token'] : [])];
  if (mustSign.some((name) => !signed.has(name))) {
    return errorResponse(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
  }
  if (
    settings.verifySignatures &&
    !verifySigV4Signature({ ...request, body: request.rawBody }, authorization, account.secretAccessKey)
  ) {
    return errorResponse(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
  }
  request.credential = account.accessKeyId;
  return undefined;
}
