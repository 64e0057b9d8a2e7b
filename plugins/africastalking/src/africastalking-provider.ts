import {
  type BatchItemResult,
  closedProviderError,
  type HealthStatus,
  localValidation,
  networkError,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  parseMoney,
  type SendOptions,
  type SendResult,
  type SmsMessage,
  SPECIFICATION_VERSION,
  type ValidateResult,
} from '@msg/core';
import {
  type AfricasTalkingRecipient,
  type AfricasTalkingSendResponse,
  type AfricasTalkingUserResponse,
  MESSAGING_PATH,
  USER_PATH,
} from './africastalking-api-types.js';
import { chunkBatch, recipientKey } from './africastalking-batch.js';
import { type AfricasTalkingAnswer, AfricasTalkingClient } from './africastalking-client.js';
import {
  acceptedStatus,
  httpError,
  recipientError,
  requestRejectionError,
  unreadableAnswerError,
} from './africastalking-error.js';
import { createWebhookParser } from './africastalking-webhook.js';

export const PLUGIN_NAME = '@msg/plugin-africastalking';
/** What Africa's Talking takes as a recipient; anything else comes back as 403 InvalidPhoneNumber. */
const RECIPIENT_NUMBER = /^\+?\d{7,15}$/;

export interface AfricasTalkingProviderSettings {
  username: string;
  apiKey: string;
  baseUrl: string;
  /** Sender id or short code when a message names none; the account default when absent. */
  from?: string | undefined;
  /** The sender ids and short codes registered on the account, when known: others are refused. */
  senderIds?: readonly string[] | undefined;
  /** Sent as `enqueue=1|0` when set: queue large sends at Africa's Talking instead of inline. */
  enqueue?: boolean | undefined;
  maxRecipientsPerRequest: number;
  connections: number;
  webhookToken?: string | undefined;
  allowedIps?: readonly string[] | undefined;
  now(): number;
}

function readRecipients(answer: AfricasTalkingAnswer, provider: string): AfricasTalkingRecipient[] {
  if (answer.status < 200 || answer.status >= 300) {
    throw httpError(answer.status, answer.headers, answer.body, provider);
  }
  let data: AfricasTalkingSendResponse['SMSMessageData'] | undefined;
  try {
    data = (JSON.parse(answer.body) as Partial<AfricasTalkingSendResponse>).SMSMessageData;
  } catch (error) {
    throw unreadableAnswerError(answer.status, provider, error);
  }
  if (!data || !Array.isArray(data.Recipients)) throw unreadableAnswerError(answer.status, provider);
  if (data.Recipients.length === 0) throw requestRejectionError(String(data.Message ?? ''), provider);
  return data.Recipients;
}

function sendResult(recipient: AfricasTalkingRecipient, provider: string): SendResult {
  const status = acceptedStatus(recipient.statusCode);
  if (!status) throw recipientError(recipient, provider);
  const details: Record<string, string> = { statusCode: String(recipient.statusCode) };
  if (recipient.networkCode) details.networkCode = String(recipient.networkCode);
  return { providerMessageId: recipient.messageId, status, cost: parseMoney(recipient.cost), details };
}

export function createAfricasTalkingProvider(
  id: string,
  settings: AfricasTalkingProviderSettings,
): Provider<'sms'> {
  const client = new AfricasTalkingClient({
    provider: id,
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    connections: settings.connections,
  });
  const parseWebhook = createWebhookParser({
    provider: id,
    webhookToken: settings.webhookToken,
    allowedIps: settings.allowedIps,
    now: settings.now,
  });
  let closed = false;

  const post = (to: string, text: string, from: string | undefined, signal: AbortSignal) => {
    signal.throwIfAborted();
    if (closed) {
      throw new ProviderError({
        kind: 'transient',
        provider: id,
        providerCode: 'MSG_CLOSED',
        message: 'provider is closed',
      });
    }
    const form = new URLSearchParams();
    form.set('username', settings.username);
    form.set('to', to);
    form.set('message', text);
    if (from) form.set('from', from);
    form.set('bulkSMSMode', '1');
    if (settings.enqueue !== undefined) form.set('enqueue', settings.enqueue ? '1' : '0');
    return client.postForm(MESSAGING_PATH, form, signal);
  };

  const capabilities: ProviderCapabilities = {
    maxBatchSize: settings.maxRecipientsPerRequest,
    unicode: true,
    deliveryReceipts: true,
    senderTypes: ['alphanumeric', 'short-code', 'numeric'],
    // The sandbox is another username and host: it cannot judge a message of the live account.
    validation: 'local',
  };

  /** Africa's Talking's own refusals, as its answer would carry them, then core's checks. */
  const validate = async (message: SmsMessage, options: SendOptions): Promise<ValidateResult> => {
    options.signal.throwIfAborted();
    if (closed) throw closedProviderError(id);
    const from = message.from ?? settings.from;
    if (from !== undefined && settings.senderIds && !settings.senderIds.includes(from)) {
      throw requestRejectionError('InvalidSenderId', id);
    }
    if (!RECIPIENT_NUMBER.test(message.to)) {
      throw recipientError(
        { statusCode: 403, number: message.to, status: 'InvalidPhoneNumber', cost: '0', messageId: 'None' },
        id,
      );
    }
    return localValidation(message, capabilities, id, { defaultSender: settings.from });
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN_NAME,
    channel: 'sms',
    capabilities,
    validate,

    async send(message: SmsMessage, options: SendOptions): Promise<SendResult> {
      const answer = await post(message.to, message.text, message.from ?? settings.from, options.signal);
      const recipients = readRecipients(answer, id);
      const key = recipientKey(message.to);
      const recipient =
        recipients.find((candidate) => recipientKey(candidate.number) === key) ?? recipients[0];
      return sendResult(recipient as AfricasTalkingRecipient, id);
    },

    async sendBatch(messages: readonly SmsMessage[], options: SendOptions): Promise<BatchItemResult[]> {
      options.signal.throwIfAborted();
      const results = new Array<BatchItemResult>(messages.length);
      const chunks = chunkBatch(messages, settings.from, settings.maxRecipientsPerRequest);
      await Promise.all(
        chunks.map(async (chunk) => {
          const fail = (error: unknown) => {
            const providerError = networkError(error, id, options.signal);
            chunk.messages.forEach((message, position) => {
              results[chunk.indexes[position] as number] = {
                messageId: message.id,
                ok: false,
                error: providerError,
              };
            });
          };
          let recipients: Map<string, AfricasTalkingRecipient>;
          try {
            const to = chunk.messages.map((message) => message.to).join(',');
            const answer = await post(to, chunk.text, chunk.from, options.signal);
            recipients = new Map(
              readRecipients(answer, id).map((entry) => [recipientKey(entry.number), entry]),
            );
          } catch (error) {
            return fail(error);
          }
          chunk.messages.forEach((message, position) => {
            const index = chunk.indexes[position] as number;
            const recipient = recipients.get(recipientKey(message.to));
            try {
              if (!recipient) throw missingRecipientError(id);
              results[index] = { messageId: message.id, ok: true, result: sendResult(recipient, id) };
            } catch (error) {
              results[index] = { messageId: message.id, ok: false, error: networkError(error, id) };
            }
          });
        }),
      );
      return results;
    },

    async parseWebhook(request) {
      return parseWebhook(request);
    },

    async health(options: { signal: AbortSignal }): Promise<HealthStatus> {
      try {
        const answer = await client.get(
          USER_PATH,
          new URLSearchParams({ username: settings.username }),
          options.signal,
        );
        if (answer.status !== 200)
          return { ok: false, detail: httpError(answer.status, answer.headers, answer.body, id).message };
        const balance = (JSON.parse(answer.body) as Partial<AfricasTalkingUserResponse>).UserData?.balance;
        return { ok: true, detail: balance ? `balance ${balance}` : undefined };
      } catch (error) {
        return { ok: false, detail: networkError(error, id, options.signal).message };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** The request was accepted but the answer does not mention this number: it may have been sent. */
function missingRecipientError(provider: string): ProviderError {
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: 'RECIPIENT_MISSING',
    message: "Africa's Talking accepted the request but its answer does not list this recipient",
  });
}
