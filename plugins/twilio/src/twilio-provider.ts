import {
  assertEncodableText,
  type BatchItemResult,
  type DeliveryEvent,
  type Logger,
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
  type StatusQuery,
  type ValidateResult,
} from '@msg/core';
import twilio from 'twilio';
import type { TwilioMessageStatus } from './twilio-api-types.js';
import { twilioError } from './twilio-error.js';
import { TwilioHttpClient, type TwilioSendScope } from './twilio-http-client.js';
import { assertTwilioWouldAccept } from './twilio-validate.js';
import { parseTwilioWebhook, twilioStatusEvent, withMessageId } from './twilio-webhook.js';

export const TWILIO_PLUGIN_NAME = '@msg/plugin-twilio';

const CAPABILITIES: ProviderCapabilities = {
  // No batch endpoint: a batch is one request per message, sent side by side.
  maxBatchSize: 100,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['numeric', 'short-code', 'alphanumeric'],
  // Twilio's test credentials are another account with magic numbers: they cannot judge a real message.
  validation: 'local',
};

export interface TwilioProviderSettings {
  accountSid: string;
  authToken: string;
  /** Default sender when a message names none. */
  from?: string | undefined;
  /** Send through a Messaging Service (sender pool, Twilio-side queueing). */
  messagingServiceSid?: string | undefined;
  /** Where Twilio posts status callbacks, instead of the host's webhook URL. */
  statusCallbackUrl?: string | undefined;
  baseUrl: string;
  /** Seconds a message may wait in Twilio's queue before it fails (1-36000). */
  validityPeriod?: number | undefined;
  /** Public URL of this instance's webhook, from the host. */
  webhookUrl?: string | undefined;
  logger?: Logger | undefined;
  now?: () => number;
}

/** Where a message stands once Twilio accepted it. */
function acceptedStatus(status: TwilioMessageStatus | undefined): SendResult['status'] {
  if (status === 'sent' || status === 'sending') return 'sent';
  if (status === 'delivered') return 'delivered';
  return 'queued';
}

function header(headers: TwilioSendScope['response'], name: string): string | undefined {
  const value = headers?.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function createTwilioProvider(id: string, settings: TwilioProviderSettings): Provider<'sms'> {
  const now = settings.now ?? Date.now;
  const http = new TwilioHttpClient(settings.baseUrl);
  // One SDK client per instance; `httpClient` is duck-typed by the SDK (only `request` is called).
  const client = twilio(settings.accountSid, settings.authToken, {
    httpClient: http as unknown as InstanceType<typeof twilio.RequestClient>,
    autoRetry: false,
    env: {},
  });
  // An explicit option wins: it is how a deployment behind a proxy names its public address.
  const callbackUrl = settings.statusCallbackUrl ?? settings.webhookUrl;
  let closed = false;

  const toProviderError = (error: unknown, scope: TwilioSendScope, signal: AbortSignal): ProviderError => {
    const answer = scope.response;
    const rest = error as { status?: unknown; code?: unknown; message?: unknown };
    if (answer && answer.statusCode >= 300 && typeof rest.status === 'number') {
      return twilioError(
        id,
        {
          status: answer.statusCode,
          code: typeof rest.code === 'number' ? rest.code : undefined,
          message: typeof rest.message === 'string' ? rest.message : undefined,
          retryAfter: header(answer, 'retry-after'),
        },
        now(),
      );
    }
    if (answer && !signal.aborted) {
      // Twilio answered 2xx but the body was not a message: it was probably accepted.
      return new ProviderError({
        kind: 'ambiguous',
        provider: id,
        providerCode: 'INVALID_RESPONSE',
        httpStatus: answer.statusCode,
        message: '[msg] [plugin-twilio] Twilio answered with a body that is not a message resource',
        cause: error,
      });
    }
    return networkError(error, id, signal);
  };

  const assertOpen = (signal: AbortSignal): void => {
    signal.throwIfAborted();
    if (closed) {
      throw new ProviderError({
        kind: 'configuration',
        provider: id,
        message: `[msg] [plugin-twilio] provider "${id}" is closed`,
      });
    }
  };

  const send = async (message: SmsMessage, options: SendOptions): Promise<SendResult> => {
    assertOpen(options.signal);
    // The SDK form-encodes with encodeURIComponent, which throws on a lone surrogate.
    assertEncodableText(id, { text: message.text });
    const from = message.from ?? settings.from;
    return http.run(options.signal, async (scope) => {
      try {
        const created = await client.messages.create({
          to: message.to,
          body: message.text,
          ...(from === undefined ? {} : { from }),
          ...(settings.messagingServiceSid ? { messagingServiceSid: settings.messagingServiceSid } : {}),
          ...(callbackUrl ? { statusCallback: withMessageId(callbackUrl, message.id) } : {}),
          ...(settings.validityPeriod ? { validityPeriod: settings.validityPeriod } : {}),
        });
        const segments = Number(created.numSegments);
        return {
          providerMessageId: created.sid,
          status: acceptedStatus(created.status),
          segments: Number.isFinite(segments) && segments > 0 ? segments : undefined,
          cost: parseMoney(created.price, created.priceUnit),
          details: created.messagingServiceSid
            ? { messagingServiceSid: created.messagingServiceSid }
            : undefined,
        };
      } catch (error) {
        throw toProviderError(error, scope, options.signal);
      }
    });
  };

  /** Twilio's own rules, then what @msg/core can tell without a request. */
  const validate = async (message: SmsMessage, options: SendOptions): Promise<ValidateResult> => {
    assertOpen(options.signal);
    assertEncodableText(id, { text: message.text });
    assertTwilioWouldAccept(message, id);
    return localValidation(message, CAPABILITIES, id, { defaultSender: settings.from });
  };

  /** The message resource's status, mapped as its status callback would be. */
  const getStatus = async (query: StatusQuery, options: SendOptions): Promise<DeliveryEvent[]> => {
    assertOpen(options.signal);
    return http.run(options.signal, async (scope) => {
      let resource: Awaited<ReturnType<ReturnType<typeof client.messages>['fetch']>>;
      try {
        resource = await client.messages(query.providerMessageId).fetch();
      } catch (error) {
        // 20404: no such message on this account (never sent, or deleted): nothing to report.
        if (scope.response?.statusCode === 404 && (error as { code?: unknown }).code === 20404) return [];
        throw toProviderError(error, scope, options.signal);
      }
      // The SDK types these as always present; the API sends null until there is one.
      const errorCode = typeof resource.errorCode === 'number' ? String(resource.errorCode) : undefined;
      const updated = resource.dateUpdated as Date | null | undefined;
      const event = twilioStatusEvent(
        {
          providerMessageId: resource.sid,
          providerStatus: resource.status,
          messageId: query.messageId,
          recipient: resource.to,
          errorCode,
          errorMessage: resource.errorMessage ?? undefined,
          occurredAt: updated && !Number.isNaN(updated.getTime()) ? updated : new Date(now()),
          // One event per status and error: asking again about an unchanged message stores nothing new.
          eventId: `message-resource:${resource.sid}:${resource.status}:${errorCode ?? ''}`,
          accountSid: resource.accountSid,
          messagingServiceSid: resource.messagingServiceSid ?? undefined,
        },
        { provider: id, logger: settings.logger },
      );
      return event ? [event] : [];
    });
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: TWILIO_PLUGIN_NAME,
    channel: 'sms',
    capabilities: CAPABILITIES,
    send,
    validate,
    async sendBatch(messages, options): Promise<BatchItemResult[]> {
      options.signal.throwIfAborted();
      return Promise.all(
        messages.map(async (message): Promise<BatchItemResult> => {
          try {
            return { messageId: message.id, ok: true, result: await send(message, options) };
          } catch (error) {
            return { messageId: message.id, ok: false, error: networkError(error, id, options.signal) };
          }
        }),
      );
    },
    getStatus,
    async parseWebhook(request) {
      return parseTwilioWebhook(request, {
        provider: id,
        authToken: settings.authToken,
        statusCallbackUrl: settings.statusCallbackUrl,
        now,
        logger: settings.logger,
      });
    },
    async health(options) {
      return http.run(options.signal, async (scope) => {
        try {
          const account = await client.api.v2010.accounts(settings.accountSid).fetch();
          return account.status === 'active'
            ? { ok: true }
            : { ok: false, detail: `account status is ${account.status}` };
        } catch (error) {
          return { ok: false, detail: toProviderError(error, scope, options.signal).message };
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
    },
  };
}
