import {
  type BatchItemResult,
  type DeliveryEvent,
  type HealthStatus,
  networkError,
  type Provider,
  type ProviderError,
} from '@msg/core';
import type { SecretRegistry } from '../config/secrets.js';

/**
 * A provider whose error texts (send, batch, validate, health, status look-up, webhooks) pass
 * through the config's secret redaction before anything else sees them: an auth failure that echoes the key would otherwise be stored with the attempt,
 * returned by `GET /v1/messages/:id` and `?check=true`, and carried in routing errors. Every other
 * member (webhooks, receipts, close, members added later) is the provider's own, bound to it.
 */
export function redactingProvider<P extends Provider>(provider: P, secrets: SecretRegistry): P {
  if (secrets.size === 0) return provider;
  const redact = (text: string) => secrets.redact(text);
  const redactError = (error: unknown, signal?: AbortSignal): ProviderError => {
    const classified = networkError(error, provider.id, signal);
    classified.message = redact(classified.message);
    return classified;
  };
  const redactEvents = (events: DeliveryEvent[]): DeliveryEvent[] =>
    events.map((event) =>
      event.error?.message === undefined
        ? event
        : { ...event, error: { ...event.error, message: redact(event.error.message) } },
    );

  /** The method with its answer mapped and its failure classified and redacted; the signal is its last argument. */
  const guarded = <A extends unknown[], R>(
    method: ((...args: A) => Promise<R>) | undefined,
    map: (answer: R, signal: AbortSignal | undefined) => R = (answer) => answer,
  ) => {
    if (!method) return undefined;
    const call = method.bind(provider);
    return async (...args: A): Promise<R> => {
      const signal = (args.at(-1) as { signal?: AbortSignal } | undefined)?.signal;
      try {
        return map(await call(...args), signal);
      } catch (error) {
        throw redactError(error, signal);
      }
    };
  };

  const overrides: Partial<Record<keyof Provider, unknown>> = {
    send: guarded(provider.send),
    sendBatch: guarded(provider.sendBatch, (results: BatchItemResult[], signal) =>
      results.map((result) => (result.ok ? result : { ...result, error: redactError(result.error, signal) })),
    ),
    validate: guarded(provider.validate),
    health: guarded(provider.health, (status: HealthStatus) =>
      status.detail === undefined ? status : { ...status, detail: redact(status.detail) },
    ),
    getStatus: guarded(provider.getStatus, redactEvents),
  };
  if (provider.parseWebhook) {
    const parseWebhook = provider.parseWebhook.bind(provider);
    overrides.parseWebhook = async (request: never) => {
      try {
        const result = await parseWebhook(request);
        return { ...result, events: redactEvents(result.events) };
      } catch (error) {
        // Refusals keep their class (the host answers 401 for a bad signature): only the text changes.
        if (error instanceof Error) error.message = redact(error.message);
        throw error;
      }
    };
  }
  return new Proxy(provider, {
    get(target, property) {
      const override = Object.hasOwn(overrides, property) ? overrides[property as keyof Provider] : undefined;
      if (override !== undefined) return override;
      const value = Reflect.get(target, property, target);
      // Bound to the provider itself: a class with private fields rejects a proxy as `this`.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
