import { createProvider, type Provider, ProviderError, type SmsMessage, silentLogger } from '@msg/core';
import snsPlugin, { type SnsPluginOptions } from '../src/index.js';

let counter = 0;

export function sms(overrides: Partial<SmsMessage> = {}): SmsMessage {
  return {
    id: `m-${++counter}`,
    channel: 'sms',
    to: '+260971234567',
    text: 'Your code is 123456',
    ...overrides,
  };
}

export function makeProvider(options: SnsPluginOptions, instanceId = 'sns-test'): Promise<Provider> {
  return createProvider(snsPlugin, options, { instanceId, logger: silentLogger, now: Date.now });
}

export function send(
  provider: Provider,
  message: SmsMessage = sms(),
  signal: AbortSignal = new AbortController().signal,
) {
  return provider.send(message as never, { signal });
}

/** The `ProviderError` a promise rejects with; fails the test when it resolves or throws anything else. */
export async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (ProviderError.isInstance(error)) return error;
    throw new Error(`expected a ProviderError, got ${String(error)}`);
  }
  throw new Error('expected the send to fail, but it succeeded');
}
