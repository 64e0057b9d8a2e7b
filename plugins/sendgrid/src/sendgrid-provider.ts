import {
  type BatchItemResult,
  type EmailMessage,
  type HealthStatus,
  type Logger,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  type SendOptions,
  type SendResult,
  SPECIFICATION_VERSION,
  silentLogger,
  type ValidateResult,
  type WebhookRequest,
  type WebhookResult,
} from '@msg/core';
import { type MailDataRequired, MailService } from '@sendgrid/mail';
import { toProviderError } from './sendgrid-error.js';
import { planBatches, reservedHeaders, toMailData } from './sendgrid-request.js';
import { CallState, SendgridHttpClient } from './sendgrid-transport.js';
import { parseEventBody, parseVerificationKey, verifyEventWebhook } from './sendgrid-webhook.js';

export const SENDGRID_BASE_URL = 'https://api.sendgrid.com';
export const SENDGRID_EU_BASE_URL = 'https://api.eu.sendgrid.com';
const PLUGIN = '@msg/plugin-sendgrid';

const CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: 1000,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['email'],
  attachments: true,
  // Sandbox mode: SendGrid checks the request as a send and answers 200; nothing is delivered.
  validation: 'test-mode',
};

export interface SendgridProviderSettings {
  apiKey: string;
  /** API origin (and optional path prefix); the simulator's URL in tests. */
  baseUrl: string;
  /** Base64 SPKI DER (or PEM) public key of the Signed Event Webhook. */
  webhookVerificationKey?: string | undefined;
  /** Oldest webhook timestamp accepted, in seconds; 0 disables the check. */
  webhookMaxAgeSeconds: number;
  sandboxMode: boolean;
  ipPoolName?: string | undefined;
  /** Keep-alive sockets to SendGrid for this instance. */
  maxConnections: number;
  logger?: Logger;
  now?: () => number;
}

interface SentGroup {
  xMessageId: string | undefined;
  httpStatus: number;
}

/** A request in sandbox mode that SendGrid took for delivery all the same: it may reach the recipient. */
function sandboxIgnored(provider: string, httpStatus: number): ProviderError {
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: 'MSG_TEST_MODE_IGNORED',
    httpStatus,
    message: `[msg] [plugin-sendgrid] SendGrid answered ${httpStatus} with an X-Message-Id to a sandbox-mode request: it may deliver the message`,
  });
}

function missingMessageId(provider: string, httpStatus: number): ProviderError {
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: 'MISSING_MESSAGE_ID',
    httpStatus,
    message: `[msg] [plugin-sendgrid] SendGrid answered ${httpStatus} without X-Message-Id; the message may have been accepted`,
  });
}

/** A SendGrid email provider: one @sendgrid/client per instance, never the module singletons. */
export function createSendgridProvider(id: string, settings: SendgridProviderSettings): Provider<'email'> {
  const now = settings.now ?? Date.now;
  const logger = settings.logger ?? silentLogger;
  const base = settings.baseUrl.replace(/\/+$/, '');
  const client = new SendgridHttpClient(new URL(base).origin, settings.maxConnections);
  client.setApiKey(settings.apiKey);
  // setApiKey() resets baseUrl to the region's host, so the override comes after it.
  client.setDefaultRequest('baseUrl', `${base}/`);
  const mail = new MailService();
  mail.setClient(client);
  const publicKey = settings.webhookVerificationKey
    ? parseVerificationKey(settings.webhookVerificationKey)
    : undefined;
  let closed = false;

  /** This instance's `ProviderError` for a failure; `dispatched`: the request may have reached SendGrid. */
  const failureOf = (error: unknown, signal: AbortSignal, dispatched = true) =>
    toProviderError(error, { provider: id, signal, dispatched, now: now() });

  const assertOpen = () => {
    if (closed) {
      throw new ProviderError({
        kind: 'configuration',
        provider: id,
        providerCode: 'MSG_CLOSED',
        message: `[msg] [plugin-sendgrid] provider "${id}" is closed`,
      });
    }
  };

  /** One `POST /v3/mail/send` for messages that share their content; `sandbox` forces sandbox mode. */
  const sendGroup = async (
    messages: readonly EmailMessage[],
    signal: AbortSignal,
    sandbox = settings.sandboxMode,
  ): Promise<SentGroup> => {
    for (const message of messages) {
      const reserved = reservedHeaders(message);
      if (reserved.length > 0) {
        throw new ProviderError({
          kind: 'permanent',
          provider: id,
          providerCode: 'MSG_RESERVED_HEADER',
          message: `[msg] [plugin-sendgrid] message ${message.id}: SendGrid reserves the header(s) ${reserved.join(', ')}`,
        });
      }
    }
    const data = toMailData(messages, { ...settings, sandboxMode: sandbox });
    const state = new CallState(signal);
    try {
      const [response] = await client.call(state, () => mail.send(data as unknown as MailDataRequired));
      const header = (response.headers as Record<string, unknown>)['x-message-id'];
      const xMessageId = typeof header === 'string' && header ? header : undefined;
      // Only sandbox mode answers without one; otherwise the answer is not SendGrid's "accepted".
      if (!xMessageId && !sandbox) throw missingMessageId(id, response.statusCode);
      return { xMessageId, httpStatus: response.statusCode };
    } catch (error) {
      throw failureOf(error, signal, state.dispatched);
    }
  };

  const send = async (message: EmailMessage, options: SendOptions): Promise<SendResult> => {
    options.signal.throwIfAborted();
    assertOpen();
    const { xMessageId } = await sendGroup([message], options.signal);
    // Sandbox mode answers without X-Message-Id and sends nothing; our id stands in.
    return { providerMessageId: xMessageId ?? message.id, status: 'queued' };
  };

  /**
   * The request a send makes, in sandbox mode: SendGrid validates it as a send (sender identity,
   * body, attachments) and answers 200 without sending or posting any event.
   */
  const validate = async (message: EmailMessage, options: SendOptions): Promise<ValidateResult> => {
    options.signal.throwIfAborted();
    assertOpen();
    const { xMessageId, httpStatus } = await sendGroup([message], options.signal, true);
    if (xMessageId) {
      logger.error('sendgrid took a sandbox-mode request for delivery', {
        provider: id,
        messageId: message.id,
      });
      throw sandboxIgnored(id, httpStatus);
    }
    return { method: 'test-mode' };
  };

  /**
   * Messages that share from, subject, content, attachments, headers and tags go out as one request
   * with a personalization each (up to 1000). SendGrid returns one X-Message-Id per request, so
   * those messages share it as `providerMessageId`; their events tell them apart by `msg_id`.
   */
  const sendBatch = async (
    messages: readonly EmailMessage[],
    options: SendOptions,
  ): Promise<BatchItemResult[]> => {
    options.signal.throwIfAborted();
    assertOpen();
    const results = new Array<BatchItemResult>(messages.length);
    const plan = planBatches(messages);
    logger.debug('sendgrid batch planned', { messages: messages.length, requests: plan.length });
    await Promise.all(
      plan.map(async (indexes) => {
        const group = indexes.map((index) => messages[index] as EmailMessage);
        try {
          const { xMessageId } = await sendGroup(group, options.signal);
          for (const [position, index] of indexes.entries()) {
            const message = group[position] as EmailMessage;
            const details = group.length > 1 ? { batchSize: String(group.length) } : undefined;
            results[index] = {
              messageId: message.id,
              ok: true,
              result: { providerMessageId: xMessageId ?? message.id, status: 'queued', details },
            };
          }
        } catch (error) {
          const failure = failureOf(error, options.signal);
          for (const index of indexes) {
            results[index] = { messageId: (messages[index] as EmailMessage).id, ok: false, error: failure };
          }
        }
      }),
    );
    return results;
  };

  const parseWebhook = async (request: WebhookRequest): Promise<WebhookResult> => {
    verifyEventWebhook(id, request, { publicKey, maxAgeSeconds: settings.webhookMaxAgeSeconds, now });
    return { events: parseEventBody(request.rawBody) };
  };

  /** `GET /v3/scopes`: the key works and may send mail. */
  const health = async (options: { signal: AbortSignal }): Promise<HealthStatus> => {
    if (closed) return { ok: false, detail: 'closed' };
    const state = new CallState(options.signal);
    try {
      const [response] = await client.call(state, () => client.request({ method: 'GET', url: '/v3/scopes' }));
      const body = typeof response.body === 'string' ? JSON.parse(response.body || '{}') : response.body;
      const scopes: unknown = (body as { scopes?: unknown })?.scopes;
      const canSend = Array.isArray(scopes) && scopes.includes('mail.send');
      return canSend ? { ok: true } : { ok: false, detail: 'the API key lacks the mail.send scope' };
    } catch (error) {
      const failure = failureOf(error, options.signal);
      return { ok: false, detail: failure.message };
    }
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN,
    channel: 'email',
    capabilities: CAPABILITIES,
    send,
    validate,
    sendBatch,
    parseWebhook,
    health,
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
