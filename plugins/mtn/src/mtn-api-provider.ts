import {
  type HealthStatus,
  type Logger,
  localValidation,
  networkError,
  type ProviderCapabilities,
  ProviderError,
  type SendOptions,
  type SendResult,
  type SmsMessage,
  SPECIFICATION_VERSION,
  type ValidateResult,
} from '@msg/core';
import {
  type MtnOutboundRequest,
  type MtnOutboundResponse,
  msisdn,
  OUTBOUND_PATH,
  SUCCESS_STATUS_CODE,
} from './mtn-api-types.js';
import { type MtnAnswer, MtnClient } from './mtn-client.js';
import {
  abortedBeforeSendError,
  closedError,
  missingSenderError,
  sendHttpError,
  statusCodeError,
  unreadableAnswerError,
} from './mtn-error.js';
import { type MtnProvider, PLUGIN_NAME } from './mtn-provider-types.js';
import { MtnSubscription } from './mtn-subscription.js';
import { MtnTokenCache, waitUnlessAborted } from './mtn-token.js';
import { createWebhookParser, WEBHOOK_TOKEN_PARAMETER } from './mtn-webhook.js';

/** What MTN takes as a `receiverAddress`; anything else is answered 400 `4000`. */
const RECEIVER_ADDRESS = /^\d{9,15}$/;

const CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: 1,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['alphanumeric', 'short-code', 'numeric'],
  // MTN's SMS API v3 has no test mode: a validation is what can be checked here.
  validation: 'local',
};

export interface MtnApiSettings {
  clientId: string;
  clientSecret: string;
  baseUrl: string;
  serviceCode: string;
  from?: string | undefined;
  requestDeliveryReceipt: boolean;
  refreshMarginSeconds: number;
  tokenTimeoutMs: number;
  connections: number;
  webhookToken?: string | undefined;
  allowedIps?: readonly string[] | undefined;
  /** The host's public URL for this instance's webhooks (`context.webhookUrl`). */
  webhookUrl?: string | undefined;
  registerDeliveryReports: boolean;
  targetSystem: string;
  subscriptionRetryMs: number;
  logger: Logger;
  now(): number;
}

/** `https://host/hooks/mtn?x=1` + token -> `https://host/hooks/mtn?x=1&token=...`. */
export function deliveryReportUrl(webhookUrl: string, token: string): string {
  const url = new URL(webhookUrl);
  url.searchParams.set(WEBHOOK_TOKEN_PARAMETER, token);
  return url.toString();
}

function readSendAnswer(answer: MtnAnswer, message: SmsMessage, provider: string, now: number): SendResult {
  if (answer.status < 200 || answer.status >= 300) {
    throw sendHttpError(answer.status, answer.headers, answer.body, provider, now);
  }
  let parsed: MtnOutboundResponse;
  try {
    parsed = JSON.parse(answer.body) as MtnOutboundResponse;
  } catch (error) {
    throw unreadableAnswerError(answer.status, provider, error);
  }
  if (typeof parsed !== 'object' || parsed === null) throw unreadableAnswerError(answer.status, provider);
  if (parsed.statusCode !== undefined && String(parsed.statusCode) !== SUCCESS_STATUS_CODE) {
    throw statusCodeError(parsed, answer.status, provider);
  }
  if (typeof parsed.transactionId !== 'string' || parsed.transactionId.length === 0) {
    throw unreadableAnswerError(answer.status, provider);
  }
  const details: Record<string, string> = { clientCorrelatorId: message.id };
  if (parsed.data?.status) details.mtnStatus = String(parsed.data.status);
  return { providerMessageId: parsed.transactionId, status: 'queued', details };
}

/** MTN SMS API v3 over one keep-alive pool, with the instance's token and subscription. */
export function createMtnApiProvider(id: string, settings: MtnApiSettings): MtnProvider {
  const client = new MtnClient(settings.baseUrl, settings.connections);
  const tokens = new MtnTokenCache({
    provider: id,
    client,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    refreshMarginSeconds: settings.refreshMarginSeconds,
    timeoutMs: settings.tokenTimeoutMs,
    now: settings.now,
  });
  let subscription: MtnSubscription | undefined;
  if (settings.registerDeliveryReports && settings.webhookUrl) {
    if (settings.webhookToken) {
      subscription = new MtnSubscription({
        provider: id,
        client,
        tokens,
        serviceCode: settings.serviceCode,
        targetSystem: settings.targetSystem,
        notifyUrl: deliveryReportUrl(settings.webhookUrl, settings.webhookToken),
        retryAfterFailureMs: settings.subscriptionRetryMs,
        timeoutMs: settings.tokenTimeoutMs,
        logger: settings.logger,
        now: settings.now,
      });
    } else {
      settings.logger.warn('MTN delivery reports not registered: set webhookToken to protect the URL', {
        provider: id,
      });
    }
  }
  const parseWebhook = createWebhookParser({
    provider: id,
    webhookToken: settings.webhookToken,
    allowedIps: settings.allowedIps,
    now: settings.now,
  });
  const sendHeaders = (token: string) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json',
  });
  let closed = false;

  const post = async (token: string, body: string, signal: AbortSignal): Promise<MtnAnswer> => {
    try {
      return await client.request({
        method: 'POST',
        path: OUTBOUND_PATH,
        headers: sendHeaders(token),
        body,
        signal,
      });
    } catch (error) {
      throw networkError(error, id, signal);
    }
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN_NAME,
    channel: 'sms',
    capabilities: CAPABILITIES,

    /** The send's own refusals and MTN's receiver rule (400 `4000`), then core's; no token, no request. */
    async validate(message: SmsMessage, options: SendOptions): Promise<ValidateResult> {
      if (options.signal.aborted) throw abortedBeforeSendError(id, options.signal);
      if (closed) throw closedError(id);
      if (!(message.from ?? settings.from)) throw missingSenderError(id);
      if (!RECEIVER_ADDRESS.test(msisdn(message.to))) {
        throw new ProviderError({
          kind: 'permanent',
          provider: id,
          providerCode: '4000',
          message: `MTN would refuse the SMS: 4000 Invalid receiverAddress ${msisdn(message.to)} (checked locally; nothing was sent)`,
        });
      }
      return localValidation(message, CAPABILITIES, id, { defaultSender: settings.from });
    },

    async send(message: SmsMessage, options: SendOptions): Promise<SendResult> {
      const { signal } = options;
      if (signal.aborted) throw abortedBeforeSendError(id, signal);
      if (closed) throw closedError(id);
      const senderAddress = message.from ?? settings.from;
      if (!senderAddress) throw missingSenderError(id);
      const registering = subscription?.ensure();
      if (registering) await waitUnlessAborted(registering, signal, id);
      const request: MtnOutboundRequest = {
        senderAddress,
        receiverAddress: [msisdn(message.to)],
        message: message.text,
        clientCorrelatorId: message.id,
        serviceCode: settings.serviceCode,
        requestDeliveryReceipt: settings.requestDeliveryReceipt,
      };
      const body = JSON.stringify(request);
      let token = tokens.current() ?? (await tokens.get(signal));
      let answer = await post(token, body, signal);
      if (answer.status === 401) {
        // An expired or revoked token: MTN refused before processing, so one refresh and resend is safe.
        tokens.invalidate(token);
        token = await tokens.get(signal);
        answer = await post(token, body, signal);
      }
      return readSendAnswer(answer, message, id, settings.now());
    },

    async parseWebhook(request) {
      return parseWebhook(request);
    },

    async health(options: { signal: AbortSignal }): Promise<HealthStatus> {
      try {
        await tokens.get(options.signal);
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
      const registering = subscription?.ensure();
      if (registering) await waitUnlessAborted(registering, options.signal, id).catch(() => undefined);
      const reports = !subscription
        ? 'not registered by this instance'
        : subscription.state === 'failed'
          ? `registration failed (${subscription.lastError})`
          : subscription.state;
      return { ok: true, detail: `token ok; delivery reports ${reports}` };
    },

    async close() {
      if (closed) return;
      closed = true;
      tokens.close();
      subscription?.close();
      await client.close();
    },
  };
}
