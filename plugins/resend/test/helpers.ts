import { createProvider, type EmailMessage, type Provider, silentLogger } from '@msg/core';
import resendPlugin, { type ResendPluginOptions } from '../src/index.js';
import type { ResendSimulator, ResendSimulatorAccount } from '../src/simulator.js';

export const signal = (): AbortSignal => new AbortController().signal;

export function email(id: string, overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    id,
    channel: 'email',
    from: { email: 'sender@example.com', name: 'Sender' },
    to: [{ email: 'to@example.com', name: 'Recipient' }],
    subject: 'Hello',
    text: 'Plain body',
    ...overrides,
  };
}

export function optionsFor(
  simulator: ResendSimulator,
  account: ResendSimulatorAccount = simulator.account(),
  overrides: Partial<ResendPluginOptions> = {},
): ResendPluginOptions {
  return {
    apiKey: account.apiKey,
    baseUrl: simulator.url,
    webhookSecret: account.webhookSecret,
    ...overrides,
  };
}

export async function makeProvider(
  options: ResendPluginOptions,
  context: { instanceId?: string; now?: () => number } = {},
): Promise<Provider<'email'>> {
  return (await createProvider(resendPlugin, options, {
    instanceId: context.instanceId ?? 'resend-test',
    logger: silentLogger,
    now: context.now ?? Date.now,
  })) as Provider<'email'>;
}
