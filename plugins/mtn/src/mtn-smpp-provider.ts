import type { Logger, SendResult } from '@msg/core';
import { createSmppProvider, type SmppProvider, type SmppSessionOptions } from '@msg/smpp';
import { PLUGIN_NAME } from './mtn-provider-types.js';

export interface MtnSmppSettings {
  /** Passed to `createSmppSession` (the provider sets `providerId` and `registeredDelivery`). */
  session: Omit<SmppSessionOptions, 'providerId' | 'registeredDelivery'>;
  from?: string | undefined;
  requestDeliveryReceipt: boolean;
  /** Sent messages whose receipts are awaited (to give events our message id and join parts). */
  trackedMessages: number;
  logger: Logger;
  now(): number;
}

/**
 * MTN over an SMPP 3.4 bind: `createSmppProvider` of @msg/smpp, binding on the first send. MTN's
 * events report every receipt-derived status change, `sent` included, with the parts' stat words
 * in `details.partStatuses`; the send result names the part ids `details.partMessageIds`.
 */
export function createMtnSmppProvider(id: string, settings: MtnSmppSettings): SmppProvider {
  const provider = createSmppProvider({
    id,
    plugin: PLUGIN_NAME,
    session: { ...settings.session, registeredDelivery: settings.requestDeliveryReceipt ? 1 : 0 },
    defaultSender: settings.from,
    bind: 'lazy',
    trackedMessages: settings.trackedMessages,
    receiptEvents: { reportSent: true, partStatuses: 'providerStatus' },
    senderTypes: ['alphanumeric', 'short-code', 'numeric'],
    logger: settings.logger,
    now: settings.now,
  });
  return {
    ...provider,
    async send(message, options): Promise<SendResult> {
      const result = await provider.send(message, options);
      const { messageIds, ...details } = result.details ?? {};
      return { ...result, details: { ...details, partMessageIds: messageIds ?? result.providerMessageId } };
    },
  };
}
