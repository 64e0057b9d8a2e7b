import {
  GetSMSAttributesCommand,
  type MessageAttributeValue,
  PublishCommand,
  type PublishCommandInput,
  type PublishCommandOutput,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  assertEncodableText,
  countSmsSegments,
  type HealthStatus,
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
import {
  E164_PATTERN,
  SENDER_ID_PATTERN,
  SMS_ATTRIBUTE,
  SNS_SMS_MAX_LENGTH,
  type SnsSmsType,
} from './sns-api-types.js';
import { toProviderError } from './sns-error.js';
import { createUndiciHandler, forwardAbortSignals, withAbortSignal } from './sns-http-handler.js';

export const SNS_PLUGIN_NAME = '@msg/plugin-sns';

const CAPABILITIES: ProviderCapabilities = {
  // Publish takes one phone number; PublishBatch is for topics only.
  maxBatchSize: 1,
  unicode: true,
  // SNS reports delivery only to CloudWatch Logs, never to a webhook.
  deliveryReceipts: false,
  senderTypes: ['alphanumeric', 'numeric', 'short-code'],
  // SNS has no dry run for Publish: a validation is what can be checked here.
  validation: 'local',
};

export interface SnsProviderSettings {
  region: string;
  /** Static credentials; the SDK's default chain (env, shared profile, instance role) when absent. */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
  /** SNS endpoint; the SDK's regional endpoint when absent. */
  baseUrl?: string | undefined;
  smsType: SnsSmsType;
  /** Default alphanumeric sender id (`AWS.SNS.SMS.SenderID`). */
  senderId?: string | undefined;
  /** Default origination number (`AWS.MM.SMS.OriginationNumber`), E.164. */
  originationNumber?: string | undefined;
  /** Most USD to spend on one message (`AWS.SNS.SMS.MaxPrice`), as a decimal string. */
  maxPrice?: string | undefined;
  /** Keep-alive connections to SNS. */
  connections: number;
}

function stringAttribute(value: string, dataType = 'String'): MessageAttributeValue {
  return { DataType: dataType, StringValue: value };
}

/** The reserved SMS attributes for one message: an E.164 `from` is an origination number, else a sender id. */
export function smsAttributes(
  message: SmsMessage,
  settings: SnsProviderSettings,
): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    [SMS_ATTRIBUTE.smsType]: stringAttribute(settings.smsType),
  };
  const from = message.from;
  const fromIsNumber = from !== undefined && E164_PATTERN.test(from);
  const senderId = fromIsNumber ? undefined : (from ?? settings.senderId);
  const originationNumber = fromIsNumber ? from : from === undefined ? settings.originationNumber : undefined;
  if (senderId !== undefined) attributes[SMS_ATTRIBUTE.senderId] = stringAttribute(senderId);
  if (originationNumber !== undefined) {
    attributes[SMS_ATTRIBUTE.originationNumber] = stringAttribute(originationNumber);
  }
  if (settings.maxPrice !== undefined) {
    attributes[SMS_ATTRIBUTE.maxPrice] = stringAttribute(settings.maxPrice, 'Number');
  }
  return attributes;
}

function refuse(provider: string, providerCode: string, message: string): ProviderError {
  return new ProviderError({
    kind: 'permanent',
    provider,
    providerCode,
    message: `[msg] [plugin-sns] ${message}`,
  });
}

export function createSnsProvider(id: string, settings: SnsProviderSettings): Provider<'sms'> {
  const handler = createUndiciHandler({ connections: settings.connections });
  const client = new SNSClient({
    region: settings.region,
    endpoint: settings.baseUrl,
    // Without static keys the SDK resolves its default chain once, on the first send.
    credentials:
      settings.accessKeyId && settings.secretAccessKey
        ? {
            accessKeyId: settings.accessKeyId,
            secretAccessKey: settings.secretAccessKey,
            sessionToken: settings.sessionToken,
          }
        : undefined,
    // The router owns retries: one attempt, no SDK backoff.
    maxAttempts: 1,
    requestHandler: handler,
    // Resolve the middleware chain once per command class, not once per send.
    cacheMiddleware: true,
  });
  forwardAbortSignals(client);
  let closed = false;

  const assertOpen = (signal: AbortSignal): void => {
    signal.throwIfAborted();
    if (closed) {
      throw new ProviderError({
        kind: 'configuration',
        provider: id,
        providerCode: 'MSG_PROVIDER_CLOSED',
        message: `[msg] [plugin-sns] provider "${id}" is closed`,
      });
    }
  };

  /** The Publish input, or the refusal SNS would answer for the message. */
  const publishInput = (message: SmsMessage): PublishCommandInput => {
    if (message.text.length === 0) throw refuse(id, 'EmptyMessage', 'the message text is empty');
    if (message.text.length > SNS_SMS_MAX_LENGTH) {
      throw refuse(
        id,
        'MessageTooLong',
        `the message is ${message.text.length} characters; SNS takes at most ${SNS_SMS_MAX_LENGTH}`,
      );
    }
    assertEncodableText(id, { text: message.text });
    return {
      PhoneNumber: message.to,
      Message: message.text,
      MessageAttributes: smsAttributes(message, settings),
    };
  };

  const send = async (message: SmsMessage, options: SendOptions): Promise<SendResult> => {
    const { signal } = options;
    assertOpen(signal);
    const command = new PublishCommand(withAbortSignal(publishInput(message), signal));
    let output: PublishCommandOutput;
    try {
      output = await client.send(command);
    } catch (error) {
      throw toProviderError(error, id, signal);
    }
    if (!output.MessageId) {
      throw new ProviderError({
        kind: 'ambiguous',
        provider: id,
        providerCode: 'MissingMessageId',
        message: '[msg] [plugin-sns] SNS answered without a MessageId; the message may have been sent',
      });
    }
    const requestId = output.$metadata.requestId;
    return {
      providerMessageId: output.MessageId,
      status: 'queued',
      segments: countSmsSegments(message.text).segments,
      details: requestId ? { requestId } : undefined,
    };
  };

  /** SNS's own checks of a Publish (as its InvalidParameter and ParameterValueInvalid answers), then core's. */
  const validate = async (message: SmsMessage, options: SendOptions): Promise<ValidateResult> => {
    assertOpen(options.signal);
    const input = publishInput(message);
    if (!E164_PATTERN.test(message.to)) {
      throw refuse(id, 'InvalidParameter', `PhoneNumber ${message.to} is not valid to publish to`);
    }
    const senderId = input.MessageAttributes?.[SMS_ATTRIBUTE.senderId]?.StringValue;
    if (senderId !== undefined && !SENDER_ID_PATTERN.test(senderId)) {
      throw refuse(
        id,
        'ParameterValueInvalid',
        `the sender id ${JSON.stringify(senderId)} is not 1-11 letters, digits or dashes with a letter`,
      );
    }
    return localValidation(message, CAPABILITIES, id, {
      defaultSender: settings.senderId ?? settings.originationNumber,
    });
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: SNS_PLUGIN_NAME,
    channel: 'sms',
    capabilities: CAPABILITIES,
    send,
    validate,
    async health({ signal }): Promise<HealthStatus> {
      try {
        await client.send(
          new GetSMSAttributesCommand(withAbortSignal({ attributes: ['DefaultSMSType'] }, signal)),
        );
        return { ok: true };
      } catch (error) {
        const providerError = toProviderError(error, id, signal);
        return { ok: false, detail: `${providerError.kind}: ${providerError.providerCode ?? 'unknown'}` };
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
