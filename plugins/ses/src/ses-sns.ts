import { createHash, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { request } from 'undici';

/** An SNS HTTP(S) delivery: the JSON body SNS posts to a subscribed endpoint. */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
  UnsubscribeURL?: string;
}

/** Downloads the PEM certificate at an (already checked) SNS `SigningCertURL`. */
export type CertificateFetcher = (url: string) => Promise<string>;
/** Visits a (already checked) `SubscribeURL` to confirm an SNS subscription. */
export type SubscriptionConfirmer = (url: string) => Promise<void>;

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = [
  'Message',
  'MessageId',
  'SubscribeURL',
  'Timestamp',
  'Token',
  'TopicArn',
  'Type',
] as const;
const ALGORITHMS: Readonly<Record<string, string>> = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' };
const TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);
const MAX_CERTIFICATE_BYTES = 16 * 1024;

/** Thrown for anything that makes a delivery untrustworthy; the caller turns it into a 401. */
export class SnsVerificationFailure extends Error {}

/** Whether a URL is an HTTPS URL on an SNS regional host (signing certificates, subscribe links). */
export function isSnsUrl(value: string, pathSuffix?: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '')
    return false;
  if (!SNS_HOST.test(url.hostname)) return false;
  return pathSuffix === undefined || url.pathname.endsWith(pathSuffix);
}

/** Parses the body and checks the fields the signature needs are strings. */
export function parseSnsMessage(rawBody: Uint8Array): SnsMessage {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(rawBody).toString('utf8'));
  } catch {
    throw new SnsVerificationFailure('body is not JSON');
  }
  if (typeof value !== 'object' || value === null)
    throw new SnsVerificationFailure('body is not an SNS message');
  const message = value as Record<string, unknown>;
  if (typeof message.Type !== 'string' || !TYPES.has(message.Type)) {
    throw new SnsVerificationFailure('unknown SNS message Type');
  }
  const required =
    message.Type === 'Notification'
      ? ['MessageId', 'TopicArn', 'Message', 'Timestamp']
      : ['MessageId', 'TopicArn', 'Message', 'Timestamp', 'Token', 'SubscribeURL'];
  for (const field of [...required, 'SignatureVersion', 'Signature', 'SigningCertURL']) {
    if (typeof message[field] !== 'string' || message[field] === '') {
      throw new SnsVerificationFailure(`SNS message has no ${field}`);
    }
  }
  if (message.Subject !== undefined && typeof message.Subject !== 'string') {
    throw new SnsVerificationFailure('SNS Subject is not a string');
  }
  return message as unknown as SnsMessage;
}

/** "Key\nValue\n" for each signed field present, in the order SNS documents. */
export function snsStringToSign(message: SnsMessage): string {
  const fields = message.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let text = '';
  for (const field of fields) {
    const value = message[field];
    if (value !== undefined) text += `${field}\n${value}\n`;
  }
  return text;
}

/** The default fetcher: one HTTPS GET, no redirects, a small size cap. */
export const fetchCertificate: CertificateFetcher = async (url) => {
  const response = await request(url, { method: 'GET', headersTimeout: 10_000, bodyTimeout: 10_000 });
  const body = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
  if (body.length > MAX_CERTIFICATE_BYTES) throw new Error('certificate too large');
  return body;
};

/**
 * The certificate file name the simulator signs under: `SimpleNotificationService-` and the first
 * 32 hex digits of the PEM's SHA-256. A URL that names a certificate by its own hash can only ever
 * stand for that certificate, which is what makes an inline `trustedCertificates` entry safe.
 */
export function certificateFileName(certificatePem: string): string {
  const hash = createHash('sha256').update(certificatePem).digest('hex').slice(0, 32);
  return `SimpleNotificationService-${hash}.pem`;
}

/** Whether `url` is an SNS certificate URL named after `certificatePem` itself. */
export function namesCertificate(url: string, certificatePem: string): boolean {
  return isSnsUrl(url) && new URL(url).pathname === `/${certificateFileName(certificatePem)}`;
}

/** Serves the given PEMs for their URLs without a download; any other URL goes to `fallback`. */
export function trustedCertificateFetcher(
  certificates: Readonly<Record<string, string>>,
  fallback: CertificateFetcher,
): CertificateFetcher {
  const trusted = new Map(Object.entries(certificates));
  return async (url) => trusted.get(url) ?? fallback(url);
}

/** The default confirmer: one HTTPS GET of the SubscribeURL. */
export const confirmSubscription: SubscriptionConfirmer = async (url) => {
  const response = await request(url, { method: 'GET', headersTimeout: 10_000, bodyTimeout: 10_000 });
  await response.body.dump();
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
};

export interface SnsVerifierOptions {
  fetchCertificate: CertificateFetcher;
  /** Most certificates kept (SNS rotates them rarely; the URL names the certificate). */
  cacheSize?: number;
}

/**
 * Checks SNS message signatures against the certificate at `SigningCertURL`, which must be an
 * HTTPS URL on an SNS host. Certificates are cached per URL; a failed download is not cached.
 */
export class SnsSignatureVerifier {
  private readonly certificates = new Map<string, Promise<KeyObject>>();
  private readonly fetch: CertificateFetcher;
  private readonly cacheSize: number;

  constructor(options: SnsVerifierOptions) {
    this.fetch = options.fetchCertificate;
    this.cacheSize = options.cacheSize ?? 32;
  }

  async verify(message: SnsMessage): Promise<void> {
    const algorithm = ALGORITHMS[message.SignatureVersion];
    if (!algorithm)
      throw new SnsVerificationFailure(`unsupported SignatureVersion ${message.SignatureVersion}`);
    if (!isSnsUrl(message.SigningCertURL, '.pem')) {
      throw new SnsVerificationFailure('SigningCertURL is not an https .pem URL on an SNS host');
    }
    const key = await this.certificate(message.SigningCertURL);
    const verifier = createVerify(algorithm);
    verifier.update(snsStringToSign(message), 'utf8');
    let valid = false;
    try {
      valid = verifier.verify(key, message.Signature, 'base64');
    } catch {
      valid = false;
    }
    if (!valid) throw new SnsVerificationFailure('SNS signature does not match');
  }

  private certificate(url: string): Promise<KeyObject> {
    const cached = this.certificates.get(url);
    if (cached) return cached;
    const loading = this.fetch(url).then(
      (pem) => {
        try {
          if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
          return createPublicKey(pem);
        } catch (error) {
          throw new SnsVerificationFailure(`bad signing certificate: ${(error as Error).message}`);
        }
      },
      (error: unknown) => {
        throw new SnsVerificationFailure(`cannot fetch the signing certificate: ${(error as Error).message}`);
      },
    );
    if (this.certificates.size >= this.cacheSize) {
      const oldest = this.certificates.keys().next().value;
      if (oldest !== undefined) this.certificates.delete(oldest);
    }
    this.certificates.set(url, loading);
    loading.catch(() => this.certificates.delete(url));
    return loading;
  }
}
