import type { WebhookRequest } from '@msg/core';
import type { VonagePluginOptions } from '../src/index.js';
import { createVonageSimulator, type VonageSimulator } from '../src/simulator.js';
import { type SignatureMethod, vonageSignature } from '../src/vonage-signature.js';

export const ACME = {
  apiKey: 'acme0001',
  apiSecret: 'acme-api-secret-0123',
  signatureSecret: 'acme-signature-secret-0123456789',
};
export const GLOBEX = {
  apiKey: 'globex01',
  apiSecret: 'globex-api-secret-9876',
  signatureSecret: 'globex-signature-secret-987654321',
};
export const WEBHOOK_URL = 'http://127.0.0.1:9/webhooks/vonage-main';
/** A fixed clock for receipts: 2026-03-01T10:00:00Z. */
export const NOW = Date.parse('2026-03-01T10:00:00Z');

/** A simulator with the two accounts above (signing with SHA-256), started on loopback. */
export async function startSimulator(
  settings: { callbackDelayMs?: number; callbackUrl?: string } = {},
): Promise<VonageSimulator> {
  const simulator = createVonageSimulator({
    accounts: {
      [ACME.apiKey]: {
        apiSecret: ACME.apiSecret,
        signatureSecret: ACME.signatureSecret,
        signatureMethod: 'sha256',
      },
      [GLOBEX.apiKey]: {
        apiSecret: GLOBEX.apiSecret,
        signatureSecret: GLOBEX.signatureSecret,
        signatureMethod: 'sha256',
      },
    },
    ...settings,
  });
  await simulator.start();
  return simulator;
}

export function optionsFor(
  account: typeof ACME,
  simulator: VonageSimulator,
  extra: Partial<VonagePluginOptions> = {},
): VonagePluginOptions {
  return {
    ...account,
    from: 'ACME',
    restHost: simulator.url,
    apiHost: simulator.url,
    signatureMethod: 'sha256',
    ...extra,
  };
}

/** Receipt fields as Vonage sends them for a delivered one-part message. */
export function receiptFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    msisdn: '447700900001',
    to: 'ACME',
    'network-code': '23410',
    messageId: '0A0000000123ABCD',
    price: '0.03330000',
    status: 'delivered',
    scts: '2603011000',
    'err-code': '0',
    'api-key': ACME.apiKey,
    'client-ref': 'msg_1',
    'message-timestamp': '2026-03-01 10:00:00',
    ...overrides,
  };
}

/** Adds `timestamp`, `nonce` and `sig` as a signing account does. */
export function sign(
  fields: Record<string, string>,
  secret: string,
  method: SignatureMethod,
  timestampSeconds = NOW / 1000,
): Record<string, string> {
  const params = {
    ...fields,
    timestamp: String(timestampSeconds),
    nonce: 'ec11dd3e-1e7f-4db5-9467-82b02cd223b9',
  };
  return { ...params, sig: vonageSignature(params, secret, method) };
}

/** A receipt POSTed as JSON to the webhook URL. */
export function jsonReceipt(params: Record<string, string>, url = WEBHOOK_URL): WebhookRequest {
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    rawBody: new TextEncoder().encode(JSON.stringify(params)),
    remoteAddress: '127.0.0.1',
  };
}

/** A signed JSON receipt from ACME's account. */
export function signedReceipt(
  overrides: Record<string, string> = {},
  timestampSeconds?: number,
): WebhookRequest {
  return jsonReceipt(sign(receiptFields(overrides), ACME.signatureSecret, 'sha256', timestampSeconds));
}
