import type { WebhookRequest } from '@msg/core';
import type { WebhookPayload, WebhookStatus } from '../src/index.js';
import { hubSignature, type WhatsAppPluginOptions } from '../src/index.js';
import {
  createWhatsAppSimulator,
  type WhatsAppSimulator,
  type WhatsAppSimulatorOptions,
} from '../src/simulator.js';

export const ACME = {
  accessToken: 'acme-system-user-token-0123',
  phoneNumberId: '106540352242922',
  appSecret: 'acme-app-secret-0123456789',
  verifyToken: 'acme-verify-token-0123',
};
export const GLOBEX = {
  accessToken: 'globex-system-user-token-9876',
  phoneNumberId: '209876543210987',
  appSecret: 'globex-app-secret-9876543210',
  verifyToken: 'globex-verify-token-9876',
};
export const WEBHOOK_URL = 'http://127.0.0.1:9/webhooks/whatsapp-main';
export const TO = '260971234567';

/**
 * A simulator with the two accounts above (`acme`, `globex`), started on loopback. Throughput is
 * raised far past Meta's 80/s so that suites sending quickly are not throttled; tests of the
 * limit set their own.
 */
export async function startSimulator(
  settings: Partial<WhatsAppSimulatorOptions> = {},
): Promise<WhatsAppSimulator> {
  const simulator = createWhatsAppSimulator({
    accounts: {
      [ACME.accessToken]: { name: 'acme', phoneNumberIds: [ACME.phoneNumberId], appSecret: ACME.appSecret },
      [GLOBEX.accessToken]: {
        name: 'globex',
        phoneNumberIds: [GLOBEX.phoneNumberId],
        appSecret: GLOBEX.appSecret,
      },
    },
    throughputPerSecond: 100_000,
    templates: [{ name: 'verification_code', language: 'en_US', bodyParameters: 1 }],
    ...settings,
  });
  await simulator.start();
  return simulator;
}

export function optionsFor(
  account: typeof ACME,
  simulator: WhatsAppSimulator,
  extra: Partial<WhatsAppPluginOptions> = {},
): WhatsAppPluginOptions {
  return { ...account, baseUrl: simulator.url, ...extra };
}

/** A status as Meta posts it (the shape of `whatsapp-api-js`'s v25 fixtures). */
export function status(id: string, word: string, extra: Partial<WebhookStatus> = {}): WebhookStatus {
  return { id, status: word, timestamp: '1767261600', recipient_id: TO, ...extra };
}

export function payload(statuses: WebhookStatus[], phoneNumberId = ACME.phoneNumberId): WebhookPayload {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              statuses,
            },
          },
        ],
      },
    ],
  };
}

/** A POST signed with `secret` over exactly `body`. */
export function signedRequest(body: string | object, secret = ACME.appSecret): WebhookRequest {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    method: 'POST',
    url: WEBHOOK_URL,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': hubSignature(text, secret) },
    rawBody: new TextEncoder().encode(text),
  };
}
