import {
  createProvider,
  type DeliveryEvent,
  type EmailMessage,
  type Provider,
  silentLogger,
} from '@msg/core';
import smtpPlugin, { type SmtpPluginOptions } from '../src/index.js';
import type { SmtpSimulator, SmtpSimulatorAccount } from '../src/simulator.js';

export const signal = (): AbortSignal => new AbortController().signal;
export const WEBHOOK_TOKEN = 'dsn-hook-token-0123456789';
export const WEBHOOK_URL = `https://gateway.example.com/webhooks/smtp?token=${WEBHOOK_TOKEN}`;

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

/** Plugin options pointing at the simulator with one of its accounts. */
export function optionsFor(
  simulator: SmtpSimulator,
  account: SmtpSimulatorAccount = simulator.account(),
  overrides: Partial<SmtpPluginOptions> = {},
): SmtpPluginOptions {
  return {
    host: simulator.host,
    port: simulator.port,
    tls: 'starttls',
    tlsCa: simulator.ca,
    username: account.username,
    password: account.password,
    webhookToken: WEBHOOK_TOKEN,
    connectionTimeoutMs: 2000,
    greetingTimeoutMs: 1000,
    socketTimeoutMs: 2000,
    ...overrides,
  };
}

export type SmtpTestProvider = Provider<'email'> & { events: DeliveryEvent[] };

export async function makeProvider(
  options: SmtpPluginOptions,
  instanceId = 'smtp-test',
): Promise<SmtpTestProvider> {
  const provider = (await createProvider(smtpPlugin, options, {
    instanceId,
    logger: silentLogger,
    now: Date.now,
  })) as SmtpTestProvider;
  provider.events = [];
  provider.onDeliveryEvent?.((event) => provider.events.push(event));
  return provider;
}
