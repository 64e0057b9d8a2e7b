import { randomUUID } from 'node:crypto';
import {
  assertEncodableText,
  type BatchItemResult,
  countSmsSegments,
  type HealthStatus,
  type Logger,
  localValidation,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  type SendOptions,
  type SendResult,
  type SmsMessage,
  SPECIFICATION_VERSION,
  type ValidateResult,
} from '@msg/core';
import { sendPath, type ZamtelAnswer, zamtelContact } from './zamtel-api-types.js';
import { chunkByContent } from './zamtel-batch.js';
import { ZamtelClient, type ZamtelHttpAnswer } from './zamtel-client.js';
import { answerError, unreadableAnswerError } from './zamtel-error.js';

export const PLUGIN_NAME = '@msg/plugin-zamtel';
/** Messages one `sendBatch` call takes; they go out `contactsPerRequest` contacts at a time. */
export const MAX_BATCH_SIZE = 1000;

const CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: MAX_BATCH_SIZE,
  unicode: true,
  deliveryReceipts: false,
  senderTypes: ['alphanumeric'],
  // Zamtel's bulk API has no test mode: a validation is what can be checked here.
  validation: 'local',
};

export interface ZamtelHttpSettings {
  apiKey: string;
  baseUrl: string;
  senderId: string;
  method: 'GET' | 'POST';
  contactsPerRequest: number;
  connections: number;
  logger: Logger;
}

interface Accepted {
  batchId: string | undefined;
  text: string;
}

function closedError(provider: string): ProviderError {
  return new ProviderError({
    kind: 'transient',
    provider,
    providerCode: 'MSG_CLOSED',
    message: '[msg] [plugin-zamtel] provider is closed',
  });
}

/** The caller gave up before anything was sent: safe to send again. */
function abortedBeforeSend(provider: string, signal: AbortSignal): ProviderError {
  return new ProviderError({
    kind: 'transient',
    provider,
    providerCode: 'MSG_ABORTED',
    message: '[msg] [plugin-zamtel] aborted before the request was sent; nothing was sent',
    cause: signal.reason,
  });
}

function unsupportedNumber(provider: string, to: string): ProviderError {
  return new ProviderError({
    kind: 'permanent',
    provider,
    providerCode: 'UNSUPPORTED_DESTINATION',
    message: `[msg] [plugin-zamtel] ${to} is not a Zambian number (+260 and 9 digits); Zamtel's bulk API takes no other`,
  });
}

/** Zamtel's bulk SMS HTTP API through one keep-alive undici pool per instance. */
export function createZamtelHttpProvider(id: string, settings: ZamtelHttpSettings): Provider<'sms'> {
  const client = new ZamtelClient({
    provider: id,
    baseUrl: settings.baseUrl,
    method: settings.method,
    connections: settings.connections,
  });
  let closed = false;

  const read = (answer: ZamtelHttpAnswer, request: string): Accepted => {
    let parsed: ZamtelAnswer | undefined;
    try {
      parsed = JSON.parse(answer.body) as ZamtelAnswer;
    } catch {
      parsed = undefined;
    }
    const said = parsed?.responseText ?? parsed?.message;
    const text = typeof said === 'string' ? said : undefined;
    const ok = answer.status >= 200 && answer.status < 300;
    if (ok && parsed?.success === true) {
      const batchId = parsed.data?.batchId;
      return { batchId: typeof batchId === 'string' && batchId ? batchId : undefined, text: text ?? '' };
    }
    if (ok && typeof parsed?.success !== 'boolean') throw unreadableAnswerError(answer.status, request, id);
    throw answerError({ status: answer.status, headers: answer.headers, text, request, provider: id });
  };

  /** One request for some contacts; the answer or a ProviderError whose message shows no key. */
  const post = async (contacts: string[], senderId: string, text: string, signal: AbortSignal) => {
    if (closed) throw closedError(id);
    // The text travels in the URL path: encodeURIComponent throws on a lone surrogate.
    assertEncodableText(id, { text });
    const path = sendPath(client.pathPrefix, settings.apiKey, contacts, senderId, text);
    const request = client.describe(path);
    try {
      return read(await client.request(path, signal), request);
    } catch (error) {
      const providerError = error as ProviderError;
      settings.logger.warn('Zamtel send failed', {
        provider: id,
        request,
        kind: providerError.kind,
        providerCode: providerError.providerCode,
      });
      throw providerError;
    }
  };

  const result = (accepted: Accepted, contact: string, text: string): SendResult => ({
    // Zamtel returns no message id (and sends no receipts): ours names the request and contact.
    providerMessageId: `${accepted.batchId ?? `zamtel-${randomUUID()}`}:${contact}`,
    status: 'queued',
    details: {
      contact,
      estimatedSegments: String(countSmsSegments(text).segments),
      ...(accepted.text ? { responseText: accepted.text } : {}),
    },
  });

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN_NAME,
    channel: 'sms',
    capabilities: CAPABILITIES,

    /** The send's own refusals (a Zambian number, encodable text), then core's; no request. */
    async validate(message: SmsMessage, options: SendOptions): Promise<ValidateResult> {
      if (options.signal.aborted) throw abortedBeforeSend(id, options.signal);
      if (closed) throw closedError(id);
      if (!zamtelContact(message.to)) throw unsupportedNumber(id, message.to);
      assertEncodableText(id, { text: message.text });
      return localValidation(message, CAPABILITIES, id, { defaultSender: settings.senderId });
    },

    async send(message: SmsMessage, options: SendOptions): Promise<SendResult> {
      if (options.signal.aborted) throw abortedBeforeSend(id, options.signal);
      const contact = zamtelContact(message.to);
      if (!contact) throw unsupportedNumber(id, message.to);
      const accepted = await post([contact], message.from ?? settings.senderId, message.text, options.signal);
      return result(accepted, contact, message.text);
    },

    async sendBatch(messages: readonly SmsMessage[], options: SendOptions): Promise<BatchItemResult[]> {
      if (options.signal.aborted) throw abortedBeforeSend(id, options.signal);
      const results = new Array<BatchItemResult>(messages.length);
      const contacts = messages.map((message, index) => {
        const contact = zamtelContact(message.to);
        if (!contact)
          results[index] = { messageId: message.id, ok: false, error: unsupportedNumber(id, message.to) };
        return contact;
      });
      const chunks = chunkByContent(messages, contacts, settings.senderId, settings.contactsPerRequest);
      await Promise.all(
        chunks.map(async (chunk) => {
          try {
            const accepted = await post(chunk.contacts, chunk.senderId, chunk.text, options.signal);
            chunk.indexes.forEach((index, position) => {
              const contact = chunk.contacts[position] as string;
              const messageId = (messages[index] as SmsMessage).id;
              results[index] = { messageId, ok: true, result: result(accepted, contact, chunk.text) };
            });
          } catch (error) {
            for (const index of chunk.indexes) {
              results[index] = {
                messageId: (messages[index] as SmsMessage).id,
                ok: false,
                error: error as ProviderError,
              };
            }
          }
        }),
      );
      return results;
    },

    async health(): Promise<HealthStatus> {
      // The API has no balance or status endpoint that is known: report only what this side knows.
      return closed ? { ok: false, detail: 'closed' } : { ok: true, detail: 'HTTP API (no status endpoint)' };
    },

    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
