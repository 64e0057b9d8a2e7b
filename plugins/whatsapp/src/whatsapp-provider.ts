import {
  closedProviderError,
  type HttpAnswer,
  type Logger,
  localValidation,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  pluginException,
  type SendOptions,
  type SendResult,
  SPECIFICATION_VERSION,
  unreadableAnswerError,
  type ValidateResult,
  validateMessage,
  type WhatsAppMessage,
} from '@msg/core';
import type { SendRequest, SendResponse } from './whatsapp-api-types.js';
import { WhatsAppClient } from './whatsapp-client.js';
import { answerError, SERVICE } from './whatsapp-error.js';
import { createWebhookParser } from './whatsapp-webhook.js';

export const PLUGIN_NAME = '@msg/plugin-whatsapp';

export interface WhatsAppProviderSettings {
  accessToken: string;
  phoneNumberId: string;
  baseUrl: string;
  graphVersion: string;
  appSecret?: string | undefined;
  verifyToken?: string | undefined;
  /** Let WhatsApp render a preview of the first link in a text message. */
  previewUrl: boolean;
  connections: number;
  logger: Logger;
  now(): number;
}

/**
 * The Cloud API request for a message: checked as @msg/core checks it (a message the API would
 * refuse, or text no encoder can carry, is a `permanent` error and nothing is sent), with our id
 * in `biz_opaque_callback_data` so that every status webhook names it.
 */
function requestFor(message: WhatsAppMessage, provider: string, previewUrl: boolean): SendRequest {
  let checked: WhatsAppMessage;
  try {
    if (message.channel !== 'whatsapp') {
      throw new ProviderError({
        kind: 'permanent',
        provider,
        providerCode: 'MSG_WRONG_CHANNEL',
        message: `a ${String(message.channel)} message cannot be sent as WhatsApp`,
      });
    }
    checked = validateMessage(message);
  } catch (error) {
    throw pluginException(error, provider);
  }
  const common = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: checked.to.replace(/^\+/, ''),
    biz_opaque_callback_data: checked.id,
  } as const;
  if (checked.template) {
    const { name, language, components } = checked.template;
    return {
      ...common,
      type: 'template',
      template: { name, language: { code: language }, ...(components ? { components } : {}) },
    };
  }
  return { ...common, type: 'text', text: { body: checked.text as string, preview_url: previewUrl } };
}

/** The accepted message, or the error to throw: a 2xx without a `wamid` may still have been sent. */
function readAnswer(answer: HttpAnswer, provider: string, now: number): SendResult {
  if (answer.status < 200 || answer.status >= 300) throw answerError(answer, provider, now);
  let parsed: Partial<SendResponse> | undefined;
  try {
    parsed = JSON.parse(answer.body) as Partial<SendResponse>;
  } catch (error) {
    throw unreadableAnswerError(answer.status, { provider, service: SERVICE, cause: error });
  }
  const accepted = Array.isArray(parsed?.messages) ? parsed.messages[0] : undefined;
  if (typeof accepted?.id !== 'string' || !accepted.id) {
    throw unreadableAnswerError(answer.status, { provider, service: SERVICE });
  }
  const details: Record<string, string> = {};
  const waId = parsed?.contacts?.[0]?.wa_id;
  if (waId) details.waId = waId;
  if (accepted.message_status) details.messageStatus = accepted.message_status;
  return { providerMessageId: accepted.id, status: 'sent', details };
}

export function createWhatsAppProvider(id: string, settings: WhatsAppProviderSettings): Provider<'whatsapp'> {
  const client = new WhatsAppClient({ ...settings, provider: id });
  const parseWebhook = createWebhookParser({ ...settings, provider: id });
  let closed = false;
  const capabilities: ProviderCapabilities = {
    // One recipient per request and no batch endpoint.
    maxBatchSize: 1,
    unicode: true,
    deliveryReceipts: true,
    // The business phone number of the instance sends.
    senderTypes: ['numeric'],
    // The Cloud API has no test mode: what can be known without sending.
    validation: 'local',
  };
  const ensureOpen = (signal: AbortSignal) => {
    signal.throwIfAborted();
    if (closed) throw closedProviderError(id);
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN_NAME,
    channel: 'whatsapp',
    capabilities,

    async send(message: WhatsAppMessage, options: SendOptions): Promise<SendResult> {
      ensureOpen(options.signal);
      const body = requestFor(message, id, settings.previewUrl);
      const answer = await client.sendMessage(body, options.signal);
      return readAnswer(answer, id, settings.now());
    },

    /**
     * The refusals `send` meets before any request, then @msg/core's local checks. Whether the
     * user is on WhatsApp, inside the 24-hour window, or the template approved, only a send tells.
     */
    async validate(message: WhatsAppMessage, options: SendOptions): Promise<ValidateResult> {
      ensureOpen(options.signal);
      requestFor(message, id, settings.previewUrl);
      return localValidation(message, capabilities, id);
    },

    async parseWebhook(request) {
      return parseWebhook(request);
    },

    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
