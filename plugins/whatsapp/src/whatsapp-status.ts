import type { WhatsAppDeliveryStatus } from '@msg/core';
import type { WebhookError } from './whatsapp-api-types.js';
import { whatsAppErrorCode } from './whatsapp-error-codes.js';

/**
 * Meta's status words and ours. `read` is its own status, ranked above `delivered` (Meta may skip
 * `delivered` when the message is read at once). `played` (a voice message was listened to) is the
 * same proof as `read`. `failed` is split by its error code: see `failedStatus`.
 */
export const WHATSAPP_STATUS_MAP: Readonly<Record<string, WhatsAppDeliveryStatus>> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  played: 'read',
  failed: 'failed',
};

/**
 * A `failed` status: `undelivered` when the platform took the message and could not get it to the
 * recipient (131026 not on WhatsApp, 131049 per-user marketing limit, 131050 opted out of
 * marketing, 130472 experiment), `failed` when it refused it (131047 outside the 24-hour window,
 * template and parameter errors, throttling).
 */
export function failedStatus(errors: readonly WebhookError[] | undefined): 'failed' | 'undelivered' {
  const code = errors?.[0]?.code;
  return typeof code === 'number' && whatsAppErrorCode(code)?.webhookStatus === 'undelivered'
    ? 'undelivered'
    : 'failed';
}

/** Our status for a status webhook entry, or undefined for a word this plugin does not know. */
export function whatsAppStatus(
  word: string,
  errors: readonly WebhookError[] | undefined,
): WhatsAppDeliveryStatus | undefined {
  const status = WHATSAPP_STATUS_MAP[word];
  return status === 'failed' ? failedStatus(errors) : status;
}
