import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { MessageStore } from '../store/message-store.js';

/** The store's name for the key pair the gateway generates when the config gives none. */
export const EVENT_KEY_NAME = 'sendgrid-event-webhook-key';

/** SendGrid's Signed Event Webhook headers. */
export const EVENT_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const EVENT_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

function p256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** Whether `pem` is a private key SendGrid's scheme can sign with (ECDSA P-256). */
export function isEventSigningKey(pem: string): boolean {
  try {
    return p256(createPrivateKey(pem));
  } catch {
    return false;
  }
}

/**
 * The key pair that signs SendGrid-format events: SendGrid holds one per account and shows its
 * public half as "verification key"; an application configures that key, so the gateway's must
 * stay the same across restarts and instances.
 */
export class EventSigningKey {
  private readonly privateKey: KeyObject;
  /** As SendGrid shows it: base64 of the SPKI DER (what `EventWebhook.convertPublicKeyToECDSA` reads). */
  readonly publicKey: string;

  constructor(privateKeyPem: string) {
    this.privateKey = createPrivateKey(privateKeyPem);
    if (!p256(this.privateKey)) throw new Error('the SendGrid event signing key must be ECDSA P-256');
    this.publicKey = createPublicKey(this.privateKey)
      .export({ format: 'der', type: 'spki' })
      .toString('base64');
  }

  /** Base64 DER ECDSA-SHA256 signature over the timestamp followed by the exact body bytes. */
  sign(timestamp: string, body: string): string {
    return sign(
      'sha256',
      Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]),
      this.privateKey,
    ).toString('base64');
  }

  /** The configured key, else the store's, generated and stored by whoever asks first. */
  static async load(
    configured: string | undefined,
    store: MessageStore | undefined,
    now: number,
  ): Promise<EventSigningKey> {
    if (configured) return new EventSigningKey(configured);
    if (!store) throw new Error('[msg] no SendGrid event key is configured and no store can keep one');
    const pem = await store.ensureSecret(
      EVENT_KEY_NAME,
      () =>
        generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
      now,
    );
    return new EventSigningKey(pem);
  }
}

/**
 * The event key, loaded on first use and kept: a store that cannot be written yet (a full disk on
 * the first start) fails this use only, and the next one tries again.
 */
export class EventKeySource {
  private loading: Promise<EventSigningKey> | undefined;

  constructor(private readonly load: () => Promise<EventSigningKey>) {}

  get(): Promise<EventSigningKey> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }
}
