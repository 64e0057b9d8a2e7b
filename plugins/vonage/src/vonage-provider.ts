import {
  assertEncodableText,
  closedProviderError,
  countSmsSegments,
  type DeliveryEvent,
  type HealthStatus,
  httpAnswerError,
  isGsm7,
  type Logger,
  networkError,
  type Provider,
  ProviderError,
  type SendOptions,
  type SendResult,
  type SmsMessage,
  SPECIFICATION_VERSION,
  type StatusQuery,
  unreadableAnswerError,
  type ValidateResult,
} from '@msg/core';
import {
  BALANCE_PATH,
  CLIENT_REF_MAX_LENGTH,
  REPORTS_RECORDS_PATH,
  SMS_PATH,
  type VonageBalanceResponse,
  type VonageReportRecordsResponse,
  type VonageSmsRequest,
  type VonageSmsResponse,
} from './vonage-api-types.js';
import { type VonageAnswer, VonageClient } from './vonage-client.js';
import { partialFailureError, smsStatusError, unsendableError } from './vonage-error.js';
import { sumPrices } from './vonage-money.js';
import { PartLedger } from './vonage-parts.js';
import { eventsFromRecords, recordsQuery } from './vonage-reports.js';
import type { SignatureMethod } from './vonage-signature.js';
import { createWebhookParser } from './vonage-webhook.js';

export const PLUGIN_NAME = '@msg/plugin-vonage';
const SERVICE = 'Vonage';

/** Vonage tries delivery for 72 hours by default, then sends an `expired` receipt itself. */
const DEFAULT_TTL_MS = 259_200_000;
/** Parts are remembered a little past the receipt window, for receipts that arrive late. */
const RETENTION_GRACE_MS = 3_600_000;

export interface VonageProviderSettings {
  apiKey: string;
  apiSecret: string;
  /** Sender when a message names none. */
  from?: string | undefined;
  restHost: string;
  apiHost: string;
  /** Receipt URL sent with each message (`callback`); undefined sends none (the account's URL). */
  callbackUrl?: string | undefined;
  webhookToken?: string | undefined;
  signatureSecret?: string | undefined;
  signatureMethod: SignatureMethod;
  signatureToleranceSeconds: number;
  allowedIps?: readonly string[] | undefined;
  ttl?: number | undefined;
  entityId?: string | undefined;
  contentId?: string | undefined;
  /** The account's currency: Vonage states prices without one. */
  currency: string;
  connections: number;
  maxTrackedMessages: number;
  logger: Logger;
  now(): number;
}

/** Digits only: Vonage takes `to` as 7-15 digits without `+`. */
function recipientDigits(to: string): string {
  return to.replace(/[\s().+-]/g, '');
}

export function createVonageProvider(id: string, settings: VonageProviderSettings): Provider<'sms'> {
  const clientSettings = {
    provider: id,
    apiKey: settings.apiKey,
    apiSecret: settings.apiSecret,
    connections: settings.connections,
  };
  const rest = new VonageClient({ ...clientSettings, baseUrl: settings.restHost });
  const api = new VonageClient({ ...clientSettings, baseUrl: settings.apiHost, connections: 4 });
  const ledger = new PartLedger({
    maxMessages: settings.maxTrackedMessages,
    retentionMs: (settings.ttl ?? DEFAULT_TTL_MS) + RETENTION_GRACE_MS,
    now: settings.now,
  });
  const parseWebhook = createWebhookParser({ ...settings, provider: id, ledger });
  let closed = false;
  let warnedLongId = false;

  /** The request body, or the reason Vonage could not take the message. */
  const buildRequest = (message: SmsMessage): VonageSmsRequest => {
    const from = message.from ?? settings.from;
    if (!from) {
      throw new ProviderError({
        kind: 'configuration',
        provider: id,
        providerCode: 'MSG_NO_SENDER',
        message: 'the message has no "from" and the instance sets no default "from"; Vonage needs a sender',
      });
    }
    const to = recipientDigits(message.to);
    if (!/^\d{7,15}$/.test(to)) {
      throw unsendableError(
        id,
        'MSG_INVALID_TO',
        `"to" must be 7 to 15 digits for Vonage, got ${to.length} characters`,
      );
    }
    if (message.text.length === 0) throw unsendableError(id, 'MSG_EMPTY_TEXT', '"text" is empty');
    assertEncodableText(id, { text: message.text });
    const body: VonageSmsRequest = {
      from,
      to,
      text: message.text,
      // `text` is GSM-7; anything else must be declared, or Vonage garbles it.
      type: isGsm7(message.text) ? 'text' : 'unicode',
    };
    if (message.id.length <= CLIENT_REF_MAX_LENGTH) body['client-ref'] = message.id;
    else if (!warnedLongId) {
      warnedLongId = true;
      settings.logger.warn(
        '[msg] [plugin-vonage] message ids over 40 characters are not sent as client-ref',
        {
          provider: id,
        },
      );
    }
    if (settings.callbackUrl) body.callback = settings.callbackUrl;
    if (settings.ttl !== undefined) body.ttl = settings.ttl;
    if (settings.entityId) body['entity-id'] = settings.entityId;
    if (settings.contentId) body['content-id'] = settings.contentId;
    return body;
  };

  const readAnswer = (answer: VonageAnswer, messageId: string | undefined): SendResult => {
    if (answer.status < 200 || answer.status >= 300) {
      throw httpAnswerError(answer, { provider: id, service: SERVICE, now: settings.now() });
    }
    let parsed: Partial<VonageSmsResponse>;
    try {
      parsed = JSON.parse(answer.body) as Partial<VonageSmsResponse>;
    } catch (error) {
      throw unreadableAnswerError(answer.status, { provider: id, service: SERVICE, cause: error });
    }
    const parts = Array.isArray(parsed?.messages) ? parsed.messages : [];
    if (parts.length === 0 || parts.some((part) => typeof part?.status !== 'string')) {
      throw unreadableAnswerError(answer.status, { provider: id, service: SERVICE });
    }
    const refused = parts.find((part) => part.status !== '0');
    if (refused) {
      const accepted = parts.filter((part) => part.status === '0').length;
      throw accepted === 0
        ? smsStatusError(refused, id)
        : partialFailureError(refused, accepted, parts.length, id);
    }
    const partIds = parts.map((part) => part['message-id']);
    if (partIds.some((partId) => !partId))
      throw unreadableAnswerError(answer.status, { provider: id, service: SERVICE });
    ledger.track(partIds as string[], messageId);
    const details: Record<string, string> = {};
    const first = parts[0] as (typeof parts)[number];
    if (first.network) details.network = first.network;
    if (first['remaining-balance']) details.remainingBalance = first['remaining-balance'];
    if (partIds.length > 1) details.partMessageIds = partIds.join(',');
    return {
      providerMessageId: partIds[0] as string,
      status: 'sent',
      segments: parts.length,
      cost: sumPrices(
        parts.map((part) => part['message-price']),
        settings.currency,
      ),
      details,
    };
  };

  const ensureOpen = (signal: AbortSignal) => {
    signal.throwIfAborted();
    if (closed) throw closedProviderError(id);
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN_NAME,
    channel: 'sms',
    capabilities: {
      // One recipient per request and no batch endpoint.
      maxBatchSize: 1,
      unicode: true,
      deliveryReceipts: true,
      senderTypes: ['alphanumeric', 'numeric', 'short-code'],
      validation: 'local',
    },

    async send(message: SmsMessage, options: SendOptions): Promise<SendResult> {
      ensureOpen(options.signal);
      const body = buildRequest(message);
      const answer = await rest.postJson(SMS_PATH, body, options.signal);
      return readAnswer(answer, body['client-ref']);
    },

    async validate(message: SmsMessage, options: SendOptions): Promise<ValidateResult> {
      ensureOpen(options.signal);
      buildRequest(message);
      return { method: 'local', segments: countSmsSegments(message.text).segments };
    },

    async parseWebhook(request) {
      return parseWebhook(request);
    },

    async getStatus(query: StatusQuery, options: SendOptions): Promise<DeliveryEvent[]> {
      ensureOpen(options.signal);
      const partIds = ledger.partsOf(query.providerMessageId) ?? [query.providerMessageId];
      const answer = await api.get(
        REPORTS_RECORDS_PATH,
        recordsQuery(settings.apiKey, partIds),
        options.signal,
      );
      if (answer.status < 200 || answer.status >= 300) {
        throw httpAnswerError(answer, { provider: id, service: SERVICE, now: settings.now() });
      }
      let records: VonageReportRecordsResponse;
      try {
        records = JSON.parse(answer.body) as VonageReportRecordsResponse;
      } catch (error) {
        // A look-up changes nothing at Vonage: asking again is safe.
        throw new ProviderError({
          kind: 'transient',
          provider: id,
          providerCode: 'UNREADABLE_ANSWER',
          httpStatus: answer.status,
          message: `Vonage's Reports API answered HTTP ${answer.status} with a body that is not JSON`,
          cause: error,
        });
      }
      return eventsFromRecords(records, query.providerMessageId, partIds, query.messageId, settings.now());
    },

    async health(options: { signal: AbortSignal }): Promise<HealthStatus> {
      try {
        // get-balance takes its credentials as query parameters (account.yml).
        const query = new URLSearchParams({ api_key: settings.apiKey, api_secret: settings.apiSecret });
        const answer = await rest.get(BALANCE_PATH, query, options.signal);
        if (answer.status !== 200) {
          return {
            ok: false,
            detail: httpAnswerError(answer, { provider: id, service: SERVICE, now: settings.now() }).message,
          };
        }
        const balance = JSON.parse(answer.body) as Partial<VonageBalanceResponse>;
        return { ok: true, detail: `balance ${String(balance.value)} ${settings.currency}` };
      } catch (error) {
        return { ok: false, detail: networkError(error, id, options.signal).message };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([rest.close(), api.close()]);
    },
  };
}
