import { randomUUID } from 'node:crypto';
import {
  type Channel,
  countSmsSegments,
  formatEmailAddress,
  localValidation,
  type Message,
  type Provider,
  type ProviderCapabilities,
  type SenderType,
  type SendOptions,
  type SendResult,
  SPECIFICATION_VERSION,
  type ValidateResult,
} from '@msg/core';

export interface ConsoleProviderSettings {
  channel: Channel;
  format: 'pretty' | 'json';
  status: SendResult['status'];
  /** Where lines go; stdout by default. */
  write: (line: string) => void;
}

const SENDER_TYPES: Readonly<Record<Channel, readonly SenderType[]>> = {
  sms: ['alphanumeric', 'numeric', 'short-code'],
  email: ['email'],
  // The instance's business number sends.
  whatsapp: ['numeric'],
};

function describe(message: Message): string {
  if (message.channel === 'sms') {
    const { segments, encoding } = countSmsSegments(message.text);
    return `SMS ${message.from ?? '(default sender)'} -> ${message.to} [${segments} ${encoding} part${segments === 1 ? '' : 's'}]\n  ${message.text}`;
  }
  if (message.channel === 'whatsapp') {
    const content = message.template
      ? `template ${message.template.name} (${message.template.language})`
      : (message.text ?? '');
    return `WHATSAPP -> ${message.to}\n  ${content}`;
  }
  const to = message.to.map(formatEmailAddress).join(', ');
  return `EMAIL ${formatEmailAddress(message.from)} -> ${to}\n  Subject: ${message.subject}\n  ${message.text ?? message.html ?? ''}`;
}

export function createConsoleProvider(id: string, settings: ConsoleProviderSettings): Provider {
  let closed = false;
  const send = async (message: Message, options: SendOptions): Promise<SendResult> => {
    options.signal.throwIfAborted();
    if (closed) throw new Error(`[msg] [plugin-console] provider "${id}" is closed`);
    const providerMessageId = `console-${randomUUID()}`;
    const segments = message.channel === 'sms' ? countSmsSegments(message.text).segments : undefined;
    if (settings.format === 'json') {
      settings.write(JSON.stringify({ provider: id, providerMessageId, ...message, attachments: undefined }));
    } else {
      settings.write(`[msg:${id}] ${describe(message)} (${message.id} -> ${providerMessageId})`);
    }
    return { providerMessageId, status: settings.status, segments };
  };
  const capabilities: ProviderCapabilities = {
    maxBatchSize: 1000,
    unicode: true,
    deliveryReceipts: false,
    senderTypes: SENDER_TYPES[settings.channel],
    attachments: true,
    validation: 'local',
  };
  /** What @msg/core can tell without sending; nothing is printed, as nothing would be sent. */
  const validate = async (message: Message, options: SendOptions): Promise<ValidateResult> => {
    options.signal.throwIfAborted();
    if (closed) throw new Error(`[msg] [plugin-console] provider "${id}" is closed`);
    return localValidation(message, capabilities, id);
  };
  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: '@msg/plugin-console',
    channel: settings.channel,
    capabilities,
    send,
    validate,
    async sendBatch(messages, options) {
      const results = [];
      for (const message of messages) {
        results.push({ messageId: message.id, ok: true as const, result: await send(message, options) });
      }
      return results;
    },
    async health() {
      return { ok: !closed };
    },
    async close() {
      closed = true;
    },
  };
}
