import {
  type BatchItemResult,
  type DeliveryEvent,
  type EmailMessage,
  type HealthStatus,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  type SendResult,
  SPECIFICATION_VERSION,
  type StatusQuery,
  type ValidateResult,
  type WebhookRequest,
  type WebhookResult,
  WebhookVerificationError,
} from '@msg/core';
import Mailgun from 'mailgun.js';
import type { MailgunMessageData } from 'mailgun.js/definitions';
import type { MailgunSendResponse } from './mailgun-api-types.js';
import { MAILGUN_MAX_BATCH_RECIPIENTS, planBatch } from './mailgun-batch.js';
import { toProviderError } from './mailgun-error.js';
import { type MessageDataOptions, type MessageFields, toMessageData } from './mailgun-message.js';
import { mailgunMessageEvents } from './mailgun-status.js';
import { AbortedBeforeSendError, MailgunTransport } from './mailgun-transport.js';
import { toDeliveryEvent, verifyMailgunWebhook } from './mailgun-webhook.js';

export const MAILGUN_PLUGIN_NAME = '@msg/plugin-mailgun';

const CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: MAILGUN_MAX_BATCH_RECIPIENTS,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['email'],
  attachments: true,
  // `o:testmode`: Mailgun checks and accepts the message as a send and never delivers it.
  validation: 'test-mode',
};

export const MAILGUN_REGION_URLS = {
  us: 'https://api.mailgun.net',
  eu: 'https://api.eu.mailgun.net',
} as const;

export interface MailgunProviderSettings extends MessageDataOptions {
  apiKey: string;
  /** The sending domain: `POST /v3/{domain}/messages`. */
  domain: string;
  /** API origin; the region's URL when absent. */
  baseUrl?: string | undefined;
  region?: keyof typeof MAILGUN_REGION_URLS | undefined;
  /** The account's HTTP webhook signing key; without it every webhook is refused. */
  webhookSigningKey?: string | undefined;
  /** Refuse webhooks signed longer ago than this (default 300); 0 disables the check. */
  maxAgeSeconds?: number | undefined;
  /** Keep-alive sockets to the API (default 16). */
  connections?: number | undefined;
  now?: (() => number) | undefined;
}

/** `baseUrl` when set, else the region's API origin (US by default). */
export function mailgunBaseUrl(settings: Pick<MailgunProviderSettings, 'baseUrl' | 'region'>): string {
  return settings.baseUrl ?? MAILGUN_REGION_URLS[settings.region ?? 'us'];
}

/** Mailgun's message id is `<id@domain>`; events carry it without the brackets. */
function stripBrackets(id: string): string {
  return id.replace(/^<(.*)>$/, '$1');
}

export function createMailgunProvider(id: string, settings: MailgunProviderSettings): Provider<'email'> {
  const now = settings.now ?? Date.now;
  const maxAgeSeconds = settings.maxAgeSeconds ?? 300;
  const transport = new MailgunTransport({
    username: 'api',
    key: settings.apiKey,
    connections: settings.connections ?? 16,
  });
  const client = new Mailgun(FormData).client({
    username: 'api',
    key: settings.apiKey,
    url: mailgunBaseUrl(settings),
  });
  // One transport per instance, in place of the SDK's module-wide axios (see mailgun-transport.ts).
  client.request.requestProvider = transport;
  let closed = false;

  const assertOpen = (signal: AbortSignal): void => {
    if (closed) {
      throw new ProviderError({
        kind: 'transient',
        provider: id,
        providerCode: 'CLOSED',
        message: 'provider is closed',
      });
    }
    if (signal.aborted) throw toProviderError(new AbortedBeforeSendError(signal.reason), id);
  };

  const post = async (data: MessageFields, signal: AbortSignal): Promise<SendResult> => {
    assertOpen(signal);
    try {
      const result = await transport.withSignal(signal, () =>
        client.messages.create(settings.domain, data as MailgunMessageData),
      );
      const answer = result as Partial<MailgunSendResponse>;
      if (typeof answer.id !== 'string' || answer.id.length === 0) {
        // A success we cannot read may still have been queued: sending again could duplicate it.
        throw new ProviderError({
          kind: 'ambiguous',
          provider: id,
          providerCode: 'NO_MESSAGE_ID',
          httpStatus: result.status,
          message: `Mailgun answered ${result.status} without a message id; it may have been queued (is baseUrl the Mailgun API?)`,
        });
      }
      return { providerMessageId: stripBrackets(answer.id), status: 'queued' };
    } catch (error) {
      throw toProviderError(error, id, signal);
    }
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: MAILGUN_PLUGIN_NAME,
    channel: 'email',
    capabilities: CAPABILITIES,

    async send(message: EmailMessage, { signal }): Promise<SendResult> {
      return post(toMessageData(message, settings), signal);
    },

    /** The send's request with `o:testmode=yes`: Mailgun validates and accepts it, and delivers nothing. */
    async validate(message: EmailMessage, { signal }): Promise<ValidateResult> {
      await post(toMessageData(message, { ...settings, testMode: true }), signal);
      return { method: 'test-mode' };
    },

    async sendBatch(messages: readonly EmailMessage[], { signal }): Promise<BatchItemResult[]> {
      // Keyed by the message object: ids in a batch are not guaranteed unique.
      const outcomes = new Map<EmailMessage, BatchItemResult>();
      await Promise.all(
        planBatch(messages, settings).map(async (request) => {
          try {
            const result = await post(request.data, signal);
            for (const message of request.messages)
              outcomes.set(message, { messageId: message.id, ok: true, result });
          } catch (error) {
            const failure = toProviderError(error, id, signal);
            for (const message of request.messages) {
              outcomes.set(message, { messageId: message.id, ok: false, error: failure });
            }
          }
        }),
      );
      return messages.map((message) => outcomes.get(message) as BatchItemResult);
    },

    async parseWebhook(request: WebhookRequest): Promise<WebhookResult> {
      if (!settings.webhookSigningKey) {
        throw new WebhookVerificationError(id, 'no webhookSigningKey is configured');
      }
      const body = verifyMailgunWebhook(id, request, {
        signingKey: settings.webhookSigningKey,
        maxAgeSeconds,
        nowMs: now(),
      });
      const event = toDeliveryEvent(body['event-data']);
      // The signature covers timestamp and token only, not the event: the host refuses the token
      // when it comes again with other content, and keeps it across restarts.
      return { events: event ? [event] : [], replayToken: body.signature.token };
    },

    async getStatus(query: StatusQuery, { signal }): Promise<DeliveryEvent[]> {
      assertOpen(signal);
      try {
        // The SDK's `events.get` writes a deprecation warning to the console on every call; its
        // request layer, with this instance's transport, sends the same request quietly.
        return await mailgunMessageEvents(
          async (path, searchParams) =>
            (
              await transport.withSignal(signal, () =>
                client.request.get(path, searchParams ? { searchParams } : undefined),
              )
            ).body,
          settings.domain,
          query,
        );
      } catch (error) {
        throw toProviderError(error, id, signal);
      }
    },

    async health({ signal }): Promise<HealthStatus> {
      try {
        const domain = await transport.withSignal(signal, () => client.domains.get(settings.domain));
        const active = domain.state === 'active' && !domain.is_disabled;
        return {
          ok: active,
          detail: `domain ${settings.domain} is ${domain.is_disabled ? 'disabled' : domain.state}`,
        };
      } catch (error) {
        return { ok: false, detail: toProviderError(error, id, signal).message };
      }
    },

    async close(): Promise<void> {
      closed = true;
      await transport.close();
    },
  };
}
