import {
  type BatchItemResult,
  type DeliveryEvent,
  type HealthStatus,
  networkError,
  type Provider,
  type ProviderError,
  type SendOptions,
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

  const overrides: Partial<Record<keyof Provider, unknown>> = {
    async send(message: never, options: SendOptions) {
      try {
        return await provider.send(message, options);
      } catch (error) {
        throw redactError(error, options.signal);
      }
    },
  };
  if (provider.sendBatch) {
    const sendBatch = provider.sendBatch.bind(provider);
    overrides.sendBatch = async (messages: never, options: SendOptions): Promise<BatchItemResult[]> => {
      try {
        const results = await sendBatch(messages, options);
        return results.map((result) =>
          result.ok ? result : { ...result, error: redactError(result.error, options.signal) },
        );
      } catch (error) {
        throw redactError(error, options.signal);
      }
    };
  }
  if (provider.validate) {
    const validate = provider.validate.bind(provider);
    overrides.validate = async (message: never, options: SendOptions) => {
      try {
        return await validate(message, options);
      } catch (error) {
        throw redactError(error, options.signal);
      }
    };
  }
  if (provider.health) {
    const health = provider.health.bind(provider);
    overrides.health = async (options: { signal: AbortSignal }): Promise<HealthStatus> => {
      try {
        const status = await health(options);
        return status.detail === undefined ? status : { ...status, detail: redact(status.detail) };
      } catch (error) {
        throw redactError(error, options.signal);
      }
    };
  }
  if (provider.getStatus) {
    const getStatus = provider.getStatus.bind(provider);
    overrides.getStatus = async (query: never, options: SendOptions) => {
      try {
        return redactEvents(await getStatus(query, options));
      } catch (error) {
        throw redactError(error, options.signal);
      }
    };
  }
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
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Provider];
      const value = Reflect.get(target, property, target);
      // Bound to the provider itself: a class with private fields rejects a proxy as `this`.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
