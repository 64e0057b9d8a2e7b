import type { DeliveryEvent, Provider } from '@msg/core';

export const PLUGIN_NAME = '@msg/plugin-mtn';

export type DeliveryEventListener = (event: DeliveryEvent) => void;

/**
 * An MTN provider. In SMPP mode delivery receipts arrive over the bind, not as webhooks, and reach
 * the host through the contract's `onDeliveryEvent` (absent in API mode).
 */
export type MtnProvider = Provider<'sms'>;
