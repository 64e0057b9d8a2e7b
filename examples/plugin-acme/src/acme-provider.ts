import {
  assertEncodableText,
  localValidation,
  networkError,
  type PluginContext,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  type SmsMessage,
  SPECIFICATION_VERSION,
  WebhookVerificationError,
} from '@msg/core';
import { Pool } from 'undici';
import { acmeError } from './acme-error.js';
import { verifyAcmeWebhook } from './acme-webhook.js';

export interface AcmeSettings {
  apiKey: string;
  baseUrl: string;
  from?: string | undefined;
  webhookSecret?: string | undefined;
  webhookToleranceSeconds: number;
}

interface AcmeAnswer {
  id?: string;
  parts?: number;
  error?: { code?: string; message?: string };
}

/** Acme's JSON answer, or undefined for anything else (an empty body, a proxy's HTML page). */
function parseBody(text: string): AcmeAnswer | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as AcmeAnswer) : undefined;
  } catch {
    return undefined;
  }
}

export function createAcmeProvider(settings: AcmeSettings, context: PluginContext): Provider<'sms'> {
  const id = context.instanceId;
  // One keep-alive pool per instance: two accounts never share a connection or a key.
  const pool = new Pool(settings.baseUrl, { connections: 64, pipelining: 1 });
  const authorization = `Bearer ${settings.apiKey}`;
  const capabilities: ProviderCapabilities = {
    maxBatchSize: 1,
    unicode: true,
    deliveryReceipts: true,
    senderTypes: ['alphanumeric', 'numeric'],
    // Acme has no test mode, so validate() checks what can be known without sending.
    validation: 'local',
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: '@msg/example-plugin-acme',
    channel: 'sms',
    capabilities,

    async send(message: SmsMessage, { signal }) {
      signal.throwIfAborted();
      assertEncodableText(id, { text: message.text });
      let response: Awaited<ReturnType<Pool['request']>>;
      try {
        response = await pool.request({
          method: 'POST',
          path: '/v1/sms',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({
            to: message.to,
            from: message.from ?? settings.from,
            text: message.text,
            reference: message.id,
            callback_url: context.webhookUrl,
          }),
          signal,
        });
      } catch (error) {
        throw networkError(error, id, signal);
      }
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        throw networkError(error, id, signal);
      }
      const body = parseBody(text);
      if (response.statusCode >= 300) {
        throw acmeError(
          id,
          response.statusCode,
          body ?? {},
          response.headers['retry-after'] as string | undefined,
        );
      }
      if (!body?.id) {
        // A 2xx we cannot read may still mean Acme took the message: never report it as sent.
        throw new ProviderError({
          kind: 'ambiguous',
          provider: id,
          providerCode: 'unreadable_answer',
          httpStatus: response.statusCode,
          message: `Acme answered ${response.statusCode} without a message id; it may have been accepted`,
        });
      }
      return { providerMessageId: body.id, status: 'queued', segments: body.parts };
    },

    async validate(message: SmsMessage, { signal }) {
      signal.throwIfAborted();
      return localValidation(message, capabilities, id, { defaultSender: settings.from });
    },

    async parseWebhook(request) {
      if (!settings.webhookSecret) {
        throw new WebhookVerificationError(
          id,
          'no webhookSecret configured: refusing unverifiable callbacks',
        );
      }
      const event = verifyAcmeWebhook(id, settings.webhookSecret, request, {
        now: context.now(),
        toleranceSeconds: settings.webhookToleranceSeconds,
      });
      return { events: [event] };
    },

    async close() {
      if (!pool.closed && !pool.destroyed) await pool.close();
    },
  };
}
