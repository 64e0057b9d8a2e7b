import { generate } from 'selfsigned';

export interface SimulatorCertificate {
  /** PEM private key. */
  key: string;
  /** PEM certificate: what a client trusts (`tlsCa`). */
  cert: string;
}

/** A fresh self-signed certificate for `localhost` and `127.0.0.1`, valid for a day. */
export async function generateCertificate(): Promise<SimulatorCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const result = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: result.private, cert: result.cert };
}
