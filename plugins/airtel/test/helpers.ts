export { rejectionOf, waitFor } from '@msg/testing';

import {
  createProvider,
  type DeliveryEvent,
  type Logger,
  type PluginContext,
  type SmsMessage,
  silentLogger,
} from '@msg/core';
import { afterEach } from 'vitest';
import airtelPlugin, { type AirtelPluginOptions, type AirtelProvider } from '../src/index.js';
import { createAirtelSimulator, type SmscSimulator, type SmscSimulatorOptions } from '../src/simulator.js';

export const ZED_BANK = { systemId: 'zedbank', password: 'zb-pass1' };
export const COPPER = { systemId: 'copperbelt', password: 'cb-pass2' };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export async function startSmsc(options: SmscSimulatorOptions = {}): Promise<SmscSimulator> {
  const smsc = await createAirtelSimulator({
    credentials: { [ZED_BANK.systemId]: ZED_BANK.password, [COPPER.systemId]: COPPER.password },
    ...options,
  });
  cleanups.push(() => smsc.stop());
  return smsc;
}

/** Options with short timers, so fault tests finish quickly. */
export function optionsFor(
  smsc: SmscSimulator,
  account = ZED_BANK,
  extra: Partial<AirtelPluginOptions> = {},
): AirtelPluginOptions {
  return {
    host: smsc.host,
    port: smsc.port,
    ...account,
    sourceAddress: 'ZEDBANK',
    responseTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    throttleRetry: { maxRetries: 8, initialDelayMs: 20, maxDelayMs: 200 },
    ...extra,
  };
}

export function context(instanceId: string, logger: Logger = silentLogger): PluginContext {
  return { instanceId, logger, now: Date.now };
}

export async function makeProvider(
  options: AirtelPluginOptions,
  instanceId = 'airtel-zm',
  logger?: Logger,
): Promise<AirtelProvider> {
  const provider = (await createProvider(
    airtelPlugin,
    options,
    context(instanceId, logger),
  )) as AirtelProvider;
  cleanups.push(() => provider.close());
  return provider;
}

let counter = 0;
export function sms(text = 'Your code is 123456', to = '+260971234567'): SmsMessage {
  return { id: `msg-${++counter}`, channel: 'sms', to, text };
}

export const signal = (): AbortSignal => new AbortController().signal;

export function collectEvents(provider: AirtelProvider): DeliveryEvent[] {
  const events: DeliveryEvent[] = [];
  provider.onDeliveryEvent((event) => events.push(event));
  return events;
}
