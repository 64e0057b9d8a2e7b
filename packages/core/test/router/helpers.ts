import { ProviderError, type ProviderErrorOptions } from '../../src/errors.js';
import type { Channel, EmailMessage, MessageFor, SmsMessage } from '../../src/message.js';
import type { Provider, SendOptions, SendResult } from '../../src/provider.js';

/** What a scripted provider does on one call. */
export type Step = 'ok' | ProviderError | 'hang' | ((signal: AbortSignal) => Promise<SendResult>);

export interface ScriptedProvider<C extends Channel = 'sms'> extends Provider<C> {
  calls: Array<{ message: MessageFor<C>; signal: AbortSignal }>;
  /** Steps for the next calls, in order; once used up, `fallback` applies. */
  script: Step[];
  fallback: Step;
}

/** A provider whose answers a test scripts; it records every call. */
export function scriptedProvider<C extends Channel = 'sms'>(
  id: string,
  options: { channel?: C; script?: Step[]; fallback?: Step } = {},
): ScriptedProvider<C> {
  const provider: ScriptedProvider<C> = {
    specificationVersion: 'v1',
    id,
    plugin: '@msg/test',
    channel: (options.channel ?? 'sms') as C,
    capabilities: { maxBatchSize: 1, unicode: true, deliveryReceipts: false, senderTypes: ['alphanumeric'] },
    calls: [],
    script: [...(options.script ?? [])],
    fallback: options.fallback ?? 'ok',
    send(message: MessageFor<C>, sendOptions: SendOptions): Promise<SendResult> {
      provider.calls.push({ message, signal: sendOptions.signal });
      const step = provider.script.length > 0 ? (provider.script.shift() as Step) : provider.fallback;
      if (step === 'ok') {
        return Promise.resolve({ providerMessageId: `${id}-${provider.calls.length}`, status: 'queued' });
      }
      if (step === 'hang') {
        // Like a real client: rejects as ambiguous when the router's signal aborts the request.
        return new Promise((_resolve, reject) => {
          sendOptions.signal.addEventListener('abort', () =>
            reject(new ProviderError({ kind: 'ambiguous', provider: id, message: 'aborted after sending' })),
          );
        });
      }
      if (typeof step === 'function') return step(sendOptions.signal);
      return Promise.reject(step);
    },
    close: () => Promise.resolve(),
  };
  return provider;
}

export function failure(
  provider: string,
  kind: ProviderErrorOptions['kind'],
  extra: Partial<ProviderErrorOptions> = {},
): ProviderError {
  return new ProviderError({ kind, provider, message: `${kind} failure`, ...extra });
}

let messageCounter = 0;

export function sms(to = '+260971234567', extra: Partial<SmsMessage> = {}): SmsMessage {
  return { id: `message-${++messageCounter}`, channel: 'sms', to, text: 'hello', ...extra };
}

export function email(to = 'someone@example.com', extra: Partial<EmailMessage> = {}): EmailMessage {
  return {
    id: `message-${++messageCounter}`,
    channel: 'email',
    from: { email: 'noreply@example.com' },
    to: [{ email: to }],
    subject: 'hello',
    text: 'hello',
    ...extra,
  };
}

/** A sleep that returns at once and remembers what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms: number) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

/** Zambian mobile numbers spread over every carrier prefix, deterministic. */
export function zambianNumbers(count: number): string[] {
  const prefixes = ['95', '96', '97', '75', '76', '77', '55', '56', '57'];
  return Array.from({ length: count }, (_, index) => {
    const prefix = prefixes[index % prefixes.length] as string;
    const subscriber = String((index * 7_919 + 1_234_567) % 10_000_000).padStart(7, '0');
    return `+260${prefix}${subscriber}`;
  });
}
