import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * A throwaway self-signed X.509 certificate for the simulator's SNS signatures, made with
 * node:crypto alone (no openssl, no fixture files in the published package). DER is written by
 * hand: a v1 certificate needs only sequences, integers, OIDs, strings, times and a bit string.
 */

function length(size: number): Buffer {
  if (size < 0x80) return Buffer.from([size]);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...content: Buffer[]) => der(0x30, ...content);

function objectIdentifier(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const value of rest) {
    const groups = [value & 0x7f];
    for (let remaining = value >>> 7; remaining > 0; remaining >>>= 7)
      groups.unshift((remaining & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return der(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

function commonName(name: string): Buffer {
  // Name ::= SEQUENCE OF SET OF AttributeTypeAndValue; id-at-commonName is 2.5.4.3.
  return sequence(der(0x31, sequence(objectIdentifier('2.5.4.3'), der(0x0c, Buffer.from(name, 'utf8')))));
}

export interface SelfSignedCertificate {
  privateKey: KeyObject;
  certificatePem: string;
}

/**
 * A positive DER INTEGER's content in its one valid (minimal) form: no leading zero byte unless the
 * next byte's high bit needs it. OpenSSL refuses any other ("illegal padding").
 */
export function positiveInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  return ((trimmed[0] as number) & 0x80) === 0 ? trimmed : Buffer.concat([Buffer.from([0]), trimmed]);
}

export function createSelfSignedCertificate(
  subject = 'sns.amazonaws.com',
  now = new Date(),
  validDays = 2,
  serial: Buffer = randomBytes(8),
): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sha256WithRsa = sequence(objectIdentifier('1.2.840.113549.1.1.11'), der(0x05));
  const tbs = sequence(
    der(0x02, positiveInteger(serial)),
    sha256WithRsa,
    commonName(subject),
    sequence(
      utcTime(new Date(now.getTime() - 86_400_000)),
      utcTime(new Date(now.getTime() + validDays * 86_400_000)),
    ),
    commonName(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, sha256WithRsa, der(0x03, Buffer.from([0]), signature));
  const lines = certificate.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    privateKey,
    certificatePem: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`,
  };
}
