import { randomUUID } from 'node:crypto';
import {
  assertEncodableText,
  type BatchItemResult,
  closedProviderError,
  countSmsSegments,
  isGsm7,
  networkError,
  type Provider,
  ProviderError,
  type SendOptions,
  type SendResult,
  type SmsMessage,
  SPECIFICATION_VERSION,
  unreadableAnswerError,
  type ValidateResult,
} from '@msg/core';
import { readAnswer, SERVICE } from './mitto-answer.js';
import {
  BULK_PATH,
  type MittoBulkRequest,
  type MittoBulkResponse,
  type MittoSmsRequest,
  type MittoSmsResponse,
  type MittoTextType,
  SMS_PATH,
} from './mitto-api-types.js';
import { type BulkChunk, chunkBulk, matchBulkAnswer, recipientDigits } from './mitto-batch.js';
import { MittoClient } from './mitto-client.js';
import { unsendableError } from './mitto-error.js';
import { BULK_REFERENCE_PREFIX } from './mitto-receipt-contract.js';
import { createWebhookParser } from './mitto-webhook.js';

export const PLUGIN_NAME = '@msg/plugin-mitto';

export interface MittoProviderSettings {
  apiKey: string;
  baseUrl: string;
  from?: string | undefined;
  /** Receipt URL sent with each message (`callback`); undefined sends none (the account's URL). */
  callbackUrl?: string | undefined;
  /** Minutes Mitto keeps trying (`validity`). */
  validity?: number | undefined;
  maxRecipientsPerRequest: number;
  connections: number;
  webhookToken?: string | undefined;
  allowedIps?: readonly string[] | undefined;
  now(): number;
}

interface Prepared {
  from: string;
  to: string;
  type: MittoTextType;
}

export function createMittoProvider(id: string, settings: MittoProviderSettings): Provider<'sms'> {
  const client = new MittoClient({
    provider: id,
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    connections: settings.connections,
  });
  const parseWebhook = createWebhookParser({ ...settings, provider: id });
  let closed = false;

  /** What Mitto needs to know of a message, or the reason it cannot take it. */
  const prepare = (message: SmsMessage): Prepared => {
    const from = message.from ?? settings.from;
    if (!from) {
      throw unsendableError(
        id,
        'configuration',
        'MSG_NO_SENDER',
        'the message has no "from" and the instance sets no default "from"; Mitto needs a sender',
      );
    }
    const to = recipientDigits(message.to);
    if (!/^\d{7,15}$/.test(to)) {
      throw unsendableError(
        id,
        'permanent',
        'MSG_INVALID_TO',
        `"to" must be 7 to 15 digits for Mitto, got ${to.length} characters`,
      );
    }
    if (message.text.length === 0)
      throw unsendableError(id, 'permanent', 'MSG_EMPTY_TEXT', '"text" is empty');
    assertEncodableText(id, { text: message.text });
    // GSM is Mitto's default; anything else must be declared or Mitto refuses it (code 4).
    return { from, to, type: isGsm7(message.text) ? 'GSM' : 'Unicode' };
  };

  const common = (text: string, prepared: Omit<Prepared, 'to'>, reference: string) => {
    const body: Omit<MittoSmsRequest, 'to'> = { from: prepared.from, text, type: prepared.type, reference };
    if (settings.callbackUrl) body.callback = settings.callbackUrl;
    if (settings.validity !== undefined) body.validity = settings.validity;
    return body;
  };

  const ensureOpen = (signal: AbortSignal) => {
    signal.throwIfAborted();
    if (closed) throw closedProviderError(id);
  };

  const send = async (message: SmsMessage, options: SendOptions): Promise<SendResult> => {
    ensureOpen(options.signal);
    const prepared = prepare(message);
    const body: MittoSmsRequest = { ...common(message.text, prepared, message.id), to: prepared.to };
    const answer = await client.postJson(SMS_PATH, body, options.signal);
    const sent = readAnswer<MittoSmsResponse>(answer, id, settings.now());
    if (!sent.id) throw unreadableAnswerError(answer.status, { provider: id, service: SERVICE });
    const details: Record<string, string> = {};
    if (sent.timestamp) details.timestamp = sent.timestamp;
    return {
      providerMessageId: sent.id,
      status: 'sent',
      // Mitto answers only the text length: the parts are counted as the carrier will split them.
      segments: countSmsSegments(message.text).segments,
      details,
    };
  };

  const sendChunk = async (chunk: BulkChunk, results: BatchItemResult[], signal: AbortSignal) => {
    const fail = (error: unknown) => {
      const providerError = networkError(error, id, signal);
      chunk.messages.forEach((message, position) => {
        results[chunk.indexes[position] as number] = {
          messageId: message.id,
          ok: false,
          error: providerError,
        };
      });
    };
    // One message alone goes to /sms, so its `reference` can be its own id.
    if (chunk.messages.length === 1) {
      const message = chunk.messages[0] as SmsMessage;
      try {
        results[chunk.indexes[0] as number] = {
          messageId: message.id,
          ok: true,
          result: await send(message, { signal }),
        };
      } catch (error) {
        fail(error);
      }
      return;
    }
    const bulkReference = `${BULK_REFERENCE_PREFIX}${randomUUID()}`;
    const body: MittoBulkRequest = {
      ...common(chunk.text, chunk, bulkReference),
      to: chunk.messages.map((message) => recipientDigits(message.to)),
    };
    let answered: ReturnType<typeof matchBulkAnswer>;
    try {
      const answer = await client.postJson(BULK_PATH, body, signal);
      const bulk = readAnswer<MittoBulkResponse>(answer, id, settings.now());
      if (!Array.isArray(bulk.messages))
        throw unreadableAnswerError(answer.status, { provider: id, service: SERVICE });
      answered = matchBulkAnswer(chunk.messages, bulk.messages);
    } catch (error) {
      return fail(error);
    }
    const segments = countSmsSegments(chunk.text).segments;
    chunk.messages.forEach((message, position) => {
      const index = chunk.indexes[position] as number;
      const entry = answered[position];
      if (!entry?.id) {
        results[index] = { messageId: message.id, ok: false, error: missingRecipientError(id) };
        return;
      }
      const details: Record<string, string> = { bulkReference };
      if (entry.timestamp) details.timestamp = entry.timestamp;
      results[index] = {
        messageId: message.id,
        ok: true,
        result: { providerMessageId: entry.id, status: 'sent', segments, details },
      };
    });
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN_NAME,
    channel: 'sms',
    capabilities: {
      maxBatchSize: settings.maxRecipientsPerRequest,
      unicode: true,
      deliveryReceipts: true,
      senderTypes: ['alphanumeric', 'numeric'],
      validation: 'test-mode',
    },

    send,

    async sendBatch(messages: readonly SmsMessage[], options: SendOptions): Promise<BatchItemResult[]> {
      ensureOpen(options.signal);
      const results = new Array<BatchItemResult>(messages.length);
      const sendable: Parameters<typeof chunkBulk>[0][number][] = [];
      messages.forEach((message, index) => {
        try {
          sendable.push({ message, index, ...prepare(message) });
        } catch (error) {
          // Refused locally so that one bad number cannot fail the whole bulk request.
          results[index] = { messageId: message.id, ok: false, error: networkError(error, id) };
        }
      });
      const chunks = chunkBulk(sendable, settings.maxRecipientsPerRequest);
      await Promise.all(chunks.map((chunk) => sendChunk(chunk, results, options.signal)));
      return results;
    },

    async validate(message: SmsMessage, options: SendOptions): Promise<ValidateResult> {
      ensureOpen(options.signal);
      const prepared = prepare(message);
      // Mitto's test mode: checked and answered as a real send, never delivered nor billed.
      const body: MittoSmsRequest = {
        ...common(message.text, prepared, message.id),
        to: prepared.to,
        test: true,
      };
      const answer = await client.postJson(SMS_PATH, body, options.signal);
      readAnswer<MittoSmsResponse>(answer, id, settings.now());
      return { method: 'test-mode', segments: countSmsSegments(message.text).segments };
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

/** The bulk was accepted but its answer does not list this recipient: it may have been sent. */
function missingRecipientError(provider: string): ProviderError {
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: 'RECIPIENT_MISSING',
    message: 'Mitto accepted the bulk request but its answer does not list this recipient',
  });
}
