import type { WebhookRequest } from '@msg/core';
import type { MittoPluginOptions } from '../src/index.js';
import { createMittoSimulator, type MittoSimulator } from '../src/simulator.js';

export const ACME = { apiKey: 'acme-mitto-key-0123', webhookToken: 'acme-mitto-webhook-token-0123' };
export const GLOBEX = { apiKey: 'globex-mitto-key-9876', webhookToken: 'globex-mitto-webhook-token-9876' };
export const WEBHOOK_URL = 'http://127.0.0.1:9/webhooks/mitto-main';
export const NOW = Date.parse('2026-03-01T10:00:00Z');

/** A simulator with the two keys above (accounts `acme` and `globex`), started on loopback. */
export async function startSimulator(settings: { callbackDelayMs?: number } = {}): Promise<MittoSimulator> {
  const simulator = createMittoSimulator({
    accounts: { [ACME.apiKey]: 'acme', [GLOBEX.apiKey]: 'globex' },
    ...settings,
  });
  await simulator.start();
  return simulator;
}

export function optionsFor(
  account: typeof ACME,
  simulator: MittoSimulator,
  extra: Partial<MittoPluginOptions> = {},
): MittoPluginOptions {
  return { ...account, baseUrl: simulator.url, from: 'ACME', ...extra };
}

/** A report as the assumed contract has Mitto POST it, to `<webhook url>?token=...` (no token: `null`). */
export function report(
  fields: Record<string, string>,
  token: string | null = ACME.webhookToken,
  remoteAddress = '127.0.0.1',
): WebhookRequest {
  const url = token === null ? WEBHOOK_URL : `${WEBHOOK_URL}?token=${encodeURIComponent(token)}`;
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    rawBody: new TextEncoder().encode(JSON.stringify(fields)),
    remoteAddress,
  };
}

export function reportFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    messageId: '715118ef01aa4480bbd67324a0459b0b',
    status: 'Delivered',
    errorcode: '0',
    reference: 'msg_1',
    to: '41751231234',
    timestamp: '2026-03-01T09:59:58.1230000Z',
    ...overrides,
  };
}
