import {
  EVENT_SIGNATURE_HEADER,
  EVENT_TIMESTAMP_HEADER,
  type EventKeySource,
} from '../ingress/sendgrid-event-key.js';
import { twilioCallbackHeaders } from '../ingress/twilio-status-callback.js';
import type { OutboxCallback } from '../store/message-store.js';
import { SIGNATURE_HEADER, signCallback, TIMESTAMP_HEADER } from './callback-signature.js';

/** The headers of one delivery of a callback signed at `timestamp` (unix seconds). */
export type CallbackSigner = (
  callback: OutboxCallback,
  timestamp: number,
) => Record<string, string> | Promise<Record<string, string>>;

const CALLBACK_SIGNING_ERROR = Symbol.for('msg.error.callback-signing');

/** A callback no key can sign any more (its Twilio account left the config): given up, not retried. */
export class CallbackSigningError extends Error {
  readonly [CALLBACK_SIGNING_ERROR] = true;

  static isInstance(error: unknown): error is CallbackSigningError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[CALLBACK_SIGNING_ERROR] === true
    );
  }
}

/** The gateway's own scheme: JSON with `Msg-Timestamp` and `Msg-Signature`. */
export function gatewaySigner(secret: string): CallbackSigner {
  return (callback, timestamp) => ({
    'content-type': 'application/json',
    'user-agent': 'msg-gateway',
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signCallback(secret, timestamp, callback.body),
  });
}

export interface FormatSignerOptions {
  secret: string;
  /** Twilio account SID -> auth token, of the API keys with Twilio ingress. */
  twilioAuthTokens: ReadonlyMap<string, string>;
  /** The key that signs SendGrid-format events (only when a key has SendGrid ingress). */
  eventKey?: EventKeySource | undefined;
}

/**
 * Signs each callback by its format: the gateway's scheme, Twilio's `X-Twilio-Signature` with the
 * account's auth token (looked up now, so a rotated token signs from the next delivery on), or
 * SendGrid's ECDSA event signature with the gateway's event key.
 */
export function formatSigner(options: FormatSignerOptions): CallbackSigner {
  const gateway = gatewaySigner(options.secret);
  return async (callback, timestamp) => {
    const format = callback.format;
    if (!format) return gateway(callback, timestamp);
    if (format.kind === 'twilio') {
      const token = options.twilioAuthTokens.get(format.accountSid);
      if (!token) {
        throw new CallbackSigningError(
          `no API key has Twilio ingress for account ${format.accountSid} any more: nothing can sign its callback`,
        );
      }
      return twilioCallbackHeaders(token, callback);
    }
    if (!options.eventKey) {
      throw new CallbackSigningError('no API key has SendGrid ingress any more: no event key is loaded');
    }
    // A key that cannot be loaded yet (store unwritable) fails this delivery; it is retried.
    const key = await options.eventKey.get();
    return {
      'content-type': 'application/json',
      'user-agent': 'SendGrid Event API (https://sendgrid.com)',
      [EVENT_SIGNATURE_HEADER]: key.sign(String(timestamp), callback.body),
      [EVENT_TIMESTAMP_HEADER]: String(timestamp),
    };
  };
}
