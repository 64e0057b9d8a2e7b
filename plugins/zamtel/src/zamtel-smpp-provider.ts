import type { Logger } from '@msg/core';
import { createSmppProvider, type SmppProvider } from '@msg/smpp';
import { PLUGIN_NAME } from './zamtel-http-provider.js';
import type { ZamtelSmppOptions } from './zamtel-options.js';

export type ZamtelSmppProvider = SmppProvider;

export interface ZamtelSmppSettings extends ZamtelSmppOptions {
  logger: Logger;
  now(): number;
}

/** Zamtel over one SMPP session per provider instance (`createSmppProvider` of @msg/smpp). */
export function createZamtelSmppProvider(id: string, settings: ZamtelSmppSettings): ZamtelSmppProvider {
  const { mode, sourceAddress, bind, trackedMessages, registeredDelivery, logger, now, ...session } =
    settings;
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
