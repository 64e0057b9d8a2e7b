import type { DeliveryStatus, WebhookRequest } from '@msg/core';
import type { AfricasTalkingPluginOptions } from '../src/index.js';
import { type AfricasTalkingSimulator, createAfricasTalkingSimulator } from '../src/simulator.js';

export const ACME = {
  username: 'acme',
  apiKey: 'atsk_acme_0123456789',
  webhookToken: 'acme-webhook-token-0123456789',
};
export const GLOBEX = {
  username: 'globex',
  apiKey: 'atsk_globex_9876543210',
  webhookToken: 'globex-webhook-token-9876543210',
};
export const WEBHOOK_URL = 'https://gateway.example.com/webhooks/africastalking-main';

/**
 * Africa's Talking's delivery report `status` values and what they mean, written from its
 * documentation: the expected side of the status checks, never the plugin's own map.
 */
export const REPORT_STATUSES: Readonly<Record<string, DeliveryStatus>> = {
  Sent: 'sent',
  Submitted: 'sent',
  Buffered: 'sent',
  Rejected: 'failed',
  Success: 'delivered',
  Failed: 'undelivered',
  AbsentSubscriber: 'undelivered',
  Expired: 'expired',
};

/** A simulator with the two accounts above, started on loopback. */
export async function startSimulator(): Promise<AfricasTalkingSimulator> {
  const simulator = createAfricasTalkingSimulator({
    accounts: { [ACME.username]: ACME.apiKey, [GLOBEX.username]: GLOBEX.apiKey },
  });
  await simulator.start();
  return simulator;
}

export function optionsFor(
  account: typeof ACME,
  simulator: AfricasTalkingSimulator,
  extra: Partial<AfricasTalkingPluginOptions> = {},
): AfricasTalkingPluginOptions {
  return { ...account, baseUrl: simulator.url, ...extra };
}

/** A delivery report as Africa's Talking POSTs it to `<webhook url>?token=...`. */
export function deliveryReport(
  fields: Record<string, string>,
  token: string | undefined,
  remoteAddress = '127.0.0.1',
): WebhookRequest {
  const url = token === undefined ? WEBHOOK_URL : `${WEBHOOK_URL}?token=${encodeURIComponent(token)}`;
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    rawBody: new TextEncoder().encode(new URLSearchParams(fields).toString()),
    remoteAddress,
  };
}
