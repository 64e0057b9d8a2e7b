import { createProvider, type EmailMessage, type Provider, silentLogger } from '@msg/core';
import sendgridPlugin, { type SendgridPluginOptions } from '../src/index.js';
import type { SendgridSimulator } from '../src/simulator.js';

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

export async function makeProvider(
  simulator: SendgridSimulator,
  options: Partial<SendgridPluginOptions> = {},
  context: { instanceId?: string; now?: () => number } = {},
): Promise<Provider<'email'>> {
  const account = simulator.account();
  return (await createProvider(
    sendgridPlugin,
    {
      apiKey: account.apiKey,
      baseUrl: simulator.url,
      webhookVerificationKey: account.webhookVerificationKey,
      ...options,
    },
    { instanceId: context.instanceId ?? 'sendgrid-test', logger: silentLogger, now: context.now ?? Date.now },
  )) as Provider<'email'>;
}

export function lastBody(simulator: SendgridSimulator): Record<string, unknown> {
  const request = simulator.requests.at(-1);
  if (!request) throw new Error('no request recorded');
  return JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
}
