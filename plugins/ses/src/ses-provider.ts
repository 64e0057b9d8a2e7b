import {
  GetAccountCommand,
  GetMessageInsightsCommand,
  SESv2Client,
  SendEmailCommand,
} from '@aws-sdk/client-sesv2';
import {
  type BatchItemResult,
  type DeliveryEvent,
  type EmailMessage,
  localValidation,
  type PluginContext,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  type SendOptions,
  type SendResult,
  SPECIFICATION_VERSION,
  type StatusQuery,
  type ValidateResult,
  type WebhookRequest,
  type WebhookResult,
  WebhookVerificationError,
} from '@msg/core';
import { toProviderError } from './ses-error.js';
import { UndiciHttpHandler } from './ses-http-handler.js';
import type { SesOptions } from './ses-options.js';
import { sendEmailInput } from './ses-request.js';
import {
  type CertificateFetcher,
  confirmSubscription,
  fetchCertificate,
  isSnsUrl,
  parseSnsMessage,
  SnsSignatureVerifier,
  SnsVerificationFailure,
  type SubscriptionConfirmer,
  trustedCertificateFetcher,
} from './ses-sns.js';
import { sesInsightsEvents } from './ses-status.js';
import { sesDeliveryEvents } from './ses-webhook.js';

export const PLUGIN_NAME = '@msg/plugin-ses';
/** SNS signs a timestamp; allow this much clock skew into the future. */
const FUTURE_SKEW_MS = 5 * 60_000;
/** Messages in flight at once inside one `sendBatch` (SES has no batch API for free-form mail). */
const BATCH_CONCURRENCY = 10;

const CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: 50,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['email'],
  attachments: true,
  // SES has no test mode: its mailbox simulator changes the recipient, so it judges another message.
  validation: 'local',
};

/** What tests (and hosts without internet) inject instead of HTTPS calls to SNS. */
export interface SesDependencies {
  certificateFetcher?: CertificateFetcher;
  subscriptionConfirmer?: SubscriptionConfirmer;
}

export function createSesProvider(
  options: SesOptions,
  context: PluginContext,
  dependencies: SesDependencies = {},
): Provider<'email'> {
  const id = context.instanceId;
  const handler = new UndiciHttpHandler({ connections: options.maxConnections });
  // One client per instance: its credentials, endpoint and sockets are this account's alone.
  const client = new SESv2Client({
    region: options.region,
    endpoint: options.baseUrl,
    credentials:
      options.accessKeyId && options.secretAccessKey
        ? {
            accessKeyId: options.accessKeyId,
            secretAccessKey: options.secretAccessKey,
            sessionToken: options.sessionToken,
          }
        : undefined,
    maxAttempts: 1,
    requestHandler: handler,
    // Reuse the resolved middleware stack across sends: see UndiciHttpHandler for the signal.
    cacheMiddleware: true,
  });
  client.middlewareStack.addRelativeTo(handler.middleware as never, {
    relation: 'after',
    toMiddleware: 'httpSigningMiddleware',
    name: 'msgAbortSignalMiddleware',
  });
  const download = dependencies.certificateFetcher ?? fetchCertificate;
  const verifier = new SnsSignatureVerifier({
    fetchCertificate: options.trustedCertificates
      ? trustedCertificateFetcher(options.trustedCertificates, download)
      : download,
  });
  const confirm = dependencies.subscriptionConfirmer ?? confirmSubscription;
  const allowedTopics = new Set(options.allowedTopicArns);
  let closed = false;

  const assertOpen = (signal: AbortSignal): void => {
    signal.throwIfAborted();
    if (closed) {
      throw new ProviderError({
        kind: 'configuration',
        provider: id,
        providerCode: 'MSG_CLOSED',
        message: 'provider is closed',
      });
    }
  };

  /** The message with its sender, and the SendEmail request SES would get, or the refusal. */
  const prepare = (message: EmailMessage) => {
    const from = message.from ?? options.defaultFrom;
    if (!from) {
      throw new ProviderError({
        kind: 'permanent',
        provider: id,
        providerCode: 'MSG_NO_SENDER',
        message: 'the message has no sender and no defaultFrom is set',
      });
    }
    const complete = { ...message, from };
    const input = sendEmailInput(complete, {
      provider: id,
      configurationSetName: options.configurationSetName,
      now: context.now,
    });
    return { complete, input };
  };

  const send = async (message: EmailMessage, sendOptions: SendOptions): Promise<SendResult> => {
    const { signal } = sendOptions;
    assertOpen(signal);
    const { input } = prepare(message);
    try {
      const output = await client.send(new SendEmailCommand(handler.track(input, signal)));
      if (!output.MessageId) {
        throw new ProviderError({
          kind: 'ambiguous',
          provider: id,
          providerCode: 'MSG_NO_MESSAGE_ID',
          message: 'SES answered 200 without a MessageId',
        });
      }
      const requestId = output.$metadata.requestId;
      return {
        providerMessageId: output.MessageId,
        status: 'queued',
        details: requestId ? { requestId } : undefined,
      };
    } catch (error) {
      throw toProviderError(error, id, signal);
    }
  };

  const sendBatch = async (messages: readonly EmailMessage[], sendOptions: SendOptions) => {
    const results: BatchItemResult[] = new Array(messages.length);
    let next = 0;
    const worker = async () => {
      while (next < messages.length) {
        const index = next++;
        const message = messages[index] as EmailMessage;
        try {
          results[index] = { messageId: message.id, ok: true, result: await send(message, sendOptions) };
        } catch (error) {
          results[index] = { messageId: message.id, ok: false, error: batchError(error, id) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, messages.length) }, worker));
    return results;
  };

  /** The request built as for a send (SES's 50 recipients, reserved headers, MIME), then core's checks. */
  const validate = async (message: EmailMessage, { signal }: SendOptions): Promise<ValidateResult> => {
    assertOpen(signal);
    const { complete } = prepare(message);
    return localValidation(complete, CAPABILITIES, id);
  };

  /** `GetMessageInsights`: needs Virtual Deliverability Manager on the account; one call a second. */
  const getStatus = async (query: StatusQuery, { signal }: SendOptions): Promise<DeliveryEvent[]> => {
    assertOpen(signal);
    try {
      const output = await client.send(
        new GetMessageInsightsCommand(handler.track({ MessageId: query.providerMessageId }, signal)),
      );
      return sesInsightsEvents(output, query);
    } catch (error) {
      // A message SES does not know (never sent by this account, or past its retention).
      if ((error as { name?: unknown }).name === 'NotFoundException') return [];
      throw toProviderError(error, id, signal);
    }
  };

  const refuse = (reason: string): WebhookVerificationError =>
    new WebhookVerificationError(PLUGIN_NAME, reason);

  const parseWebhook = async (request: WebhookRequest): Promise<WebhookResult> => {
    let notification: ReturnType<typeof parseSnsMessage>;
    try {
      notification = parseSnsMessage(request.rawBody);
      const declared = request.headers['x-amz-sns-message-type'];
      if (declared !== undefined && declared !== notification.Type)
        throw new SnsVerificationFailure('x-amz-sns-message-type does not match the body');
      if (!allowedTopics.has(notification.TopicArn))
        throw new SnsVerificationFailure(`topic ${notification.TopicArn} is not in allowedTopicArns`);
      const sentAt = Date.parse(notification.Timestamp);
      const now = context.now();
      if (Number.isNaN(sentAt)) throw new SnsVerificationFailure('Timestamp is not a date');
      if (now - sentAt > options.webhookMaxAgeSeconds * 1000)
        throw new SnsVerificationFailure('notification is too old');
      if (sentAt - now > FUTURE_SKEW_MS) throw new SnsVerificationFailure('notification is from the future');
      await verifier.verify(notification);
    } catch (error) {
      if (error instanceof SnsVerificationFailure) throw refuse(error.message);
      throw error;
    }
    if (notification.Type === 'Notification') return { events: sesDeliveryEvents(notification) };
    if (notification.Type === 'SubscriptionConfirmation') {
      const url = notification.SubscribeURL as string;
      if (!isSnsUrl(url)) throw refuse('SubscribeURL is not an https URL on an SNS host');
      if (options.autoConfirmSubscriptions) {
        try {
          await confirm(url);
        } catch (error) {
          // The host answers 500 and SNS delivers the confirmation again later.
          context.logger.error('could not confirm the SNS subscription', {
            provider: id,
            topicArn: notification.TopicArn,
            reason: (error as Error).message,
          });
          throw error;
        }
        context.logger.info('confirmed SNS subscription', { provider: id, topicArn: notification.TopicArn });
      } else {
        context.logger.warn(
          'SNS subscription waiting for confirmation: visit SubscribeURL or set autoConfirmSubscriptions',
          {
            provider: id,
            topicArn: notification.TopicArn,
            subscribeUrl: url,
          },
        );
      }
    } else {
      context.logger.info('SNS subscription removed', { provider: id, topicArn: notification.TopicArn });
    }
    return { events: [] };
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN_NAME,
    channel: 'email',
    capabilities: CAPABILITIES,
    send,
    validate,
    sendBatch,
    parseWebhook,
    getStatus,
    async health({ signal }) {
      try {
        const account = await client.send(new GetAccountCommand(handler.track({}, signal)));
        const ok = account.SendingEnabled === true && account.EnforcementStatus !== 'SHUTDOWN';
        return {
          ok,
          detail: `sending ${account.SendingEnabled ? 'enabled' : 'disabled'}, enforcement ${account.EnforcementStatus ?? 'unknown'}`,
        };
      } catch (error) {
        return { ok: false, detail: toProviderError(error, id, signal).message };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
      await handler.close();
    },
  };
}

/** In a batch every failure must be a `ProviderError`, including an abort before the request left. */
function batchError(error: unknown, provider: string): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  return new ProviderError({
    kind: 'transient',
    provider,
    providerCode: 'MSG_ABORTED',
    message: 'aborted before the request was sent',
    cause: error,
  });
}
