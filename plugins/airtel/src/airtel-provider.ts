import type { Logger } from '@msg/core';
import { createSmppProvider, type SmppProvider } from '@msg/smpp';
import type { AirtelOptions } from './airtel-options.js';

export const PLUGIN_NAME = '@msg/plugin-airtel';

export type AirtelProvider = SmppProvider;

export interface AirtelProviderSettings extends AirtelOptions {
  logger: Logger;
  now(): number;
}

/** Airtel Zambia over one SMPP session per provider instance (`createSmppProvider` of @msg/smpp). */
export function createAirtelProvider(id: string, settings: AirtelProviderSettings): AirtelProvider {
  const { sourceAddress, bind, trackedMessages, registeredDelivery, logger, now, ...session } = settings;
  return createSmppProvider({
    id,
    plugin: PLUGIN_NAME,
    session: { ...session, registeredDelivery: Number(registeredDelivery) },
    defaultSender: sourceAddress,
    bind,
    trackedMessages,
    logger,
    now,
  });
}
