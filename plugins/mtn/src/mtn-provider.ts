import type { PluginContext } from '@msg/core';
import type { SmppSessionOptions } from '@msg/smpp';
import { createMtnApiProvider } from './mtn-api-provider.js';
import { MTN_BASE_URL } from './mtn-api-types.js';
import type { MtnResolvedOptions, MtnSmppOptions } from './mtn-options.js';
import type { MtnProvider } from './mtn-provider-types.js';
import { createMtnSmppProvider } from './mtn-smpp-provider.js';

/** The plugin's `smpp` options in `@msg/smpp`'s names. */
export function smppSessionOptions(smpp: MtnSmppOptions): Omit<SmppSessionOptions, 'providerId'> {
  const { window, throughput, ...rest } = smpp;
  return { ...rest, windowSize: window, messagesPerSecond: throughput };
}

/** Creates the provider for `options.mode`; options are validated (schema output). */
export function createMtnProvider(options: MtnResolvedOptions, context: PluginContext): MtnProvider {
  const id = context.instanceId;
  if (options.mode === 'smpp') {
    return createMtnSmppProvider(id, {
      session: smppSessionOptions(options.smpp as MtnSmppOptions),
      from: options.from,
      requestDeliveryReceipt: options.requestDeliveryReceipt,
      trackedMessages: options.trackedMessages,
      logger: context.logger,
      now: context.now,
    });
  }
  return createMtnApiProvider(id, {
    clientId: options.clientId as string,
    clientSecret: options.clientSecret as string,
    baseUrl: options.baseUrl ?? MTN_BASE_URL,
    serviceCode: options.serviceCode as string,
    from: options.from,
    requestDeliveryReceipt: options.requestDeliveryReceipt,
    refreshMarginSeconds: options.refreshMarginSeconds,
    tokenTimeoutMs: options.tokenTimeoutMs,
    connections: options.connections,
    webhookToken: options.webhookToken,
    allowedIps: options.allowedIps,
    webhookUrl: context.webhookUrl,
    registerDeliveryReports: options.registerDeliveryReports,
    targetSystem: options.targetSystem,
    subscriptionRetryMs: options.subscriptionRetryMs,
    logger: context.logger,
    now: context.now,
  });
}
