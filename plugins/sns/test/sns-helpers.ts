import { createProvider, type Provider, ProviderError, type SmsMessage, silentLogger } from '@msg/core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import snsPlugin, { type SnsPluginOptions } from '../src/index.js';
import { createSnsSimulator, SNS_SIMULATOR_ACCOUNTS, type SnsSimulator } from '../src/simulator.js';

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

/**
 * One eu-west-1 simulator for a test file: started before its tests, reset after each, stopped
 * after all. `options` (the first simulator account) gets its `baseUrl` once the simulator starts.
 */
export function simulatorForFile(): { simulator: SnsSimulator; options: SnsPluginOptions } {
  const account = SNS_SIMULATOR_ACCOUNTS[0]!;
  const simulator = createSnsSimulator({ region: 'eu-west-1' });
  const options: SnsPluginOptions = {
    region: 'eu-west-1',
    accessKeyId: account.accessKeyId,
    secretAccessKey: account.secretAccessKey,
  };
  beforeAll(async () => {
    options.baseUrl = await simulator.start();
  });
  afterEach(() => simulator.reset());
  afterAll(() => simulator.stop());
  return { simulator, options };
}
