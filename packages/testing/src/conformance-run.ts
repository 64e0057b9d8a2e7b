import {
  createProvider,
  type Message,
  type PluginContext,
  type Provider,
  ProviderError,
  type SendResult,
} from '@msg/core';
import { expect } from 'vitest';
import { LogWatch, secretsIn } from './conformance-secrets.js';
import type { ConformanceSetup, ConformanceTarget } from './conformance-types.js';

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Resolves true once `check` holds, false after `timeoutMs`. */
export async function holdsWithin(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** The message with `text` as its SMS or WhatsApp text (in place of a template), or as an email's subject and text part. */
export function withText(message: Message, text: string): Message {
  if (message.channel === 'email') return { ...message, subject: text, text };
  if (message.channel === 'whatsapp') return { ...message, text, template: undefined };
  return { ...message, text };
}

/** State shared by the suite's tests: the setup, the providers made, the watched log. */
export class ConformanceRun<Options> {
  setup!: ConformanceSetup<Partial<Options>>;
  readonly providers: Provider[] = [];
  readonly log = new LogWatch();
  private counter = 0;

  constructor(readonly target: ConformanceTarget<Options>) {}

  get name(): string {
    return this.target.plugin.name ?? 'plugin';
  }

  nextId(): string {
    this.counter += 1;
    return `conf-${Date.now().toString(36)}-${this.counter}`;
  }

  context(instanceId: string): PluginContext {
    return { instanceId, logger: this.log.logger, now: Date.now, webhookUrl: this.setup.webhookUrl };
  }

  async make(options: Partial<Options>, instanceId: string): Promise<Provider> {
    const provider = await createProvider(this.target.plugin, options, this.context(instanceId));
    this.providers.push(provider);
    return provider;
  }

  message(text?: string): Message {
    const message = this.setup.message(this.nextId());
    return text === undefined ? message : withText(message, text);
  }

  send(
    provider: Provider,
    message: Message = this.message(),
    signal: AbortSignal = new AbortController().signal,
  ): Promise<SendResult> {
    return provider.send(message as never, { signal });
  }

  /** Checks that `error` is a `ProviderError` whose text carries no secret, and returns it. */
  providerError(error: unknown, what: string): ProviderError {
    expect(
      ProviderError.isInstance(error),
      `${what}: must reject with a ProviderError, got ${describeError(error)}`,
    ).toBe(true);
    const leaked = secretsIn([(error as Error).message], this.log.secrets);
    expect(leaked, `${what}: the error text must not carry a secret option`).toEqual([]);
    return error as ProviderError;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.providers.splice(0).map((provider) => provider.close()));
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
