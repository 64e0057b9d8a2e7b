import { type EmailMessage, formatEmailAddress } from '@msg/core';
import {
  MESSAGE_ID_VARIABLE,
  type MessageDataOptions,
  type MessageFields,
  sharedMessageData,
  toMessageData,
} from './mailgun-message.js';

/** Mailgun's cap on recipients per call when `recipient-variables` is set. */
export const MAILGUN_MAX_BATCH_RECIPIENTS = 1000;

/** One API call: the messages it carries, in the order of the caller's batch, and its form fields. */
export interface BatchRequest {
  messages: EmailMessage[];
  data: MessageFields;
}

/**
 * A message may share a request when it has exactly one `to` and no cc, bcc or attachments:
 * `recipient-variables` then makes Mailgun send every recipient a separate email whose events
 * carry that recipient's `msg_id`.
 */
function isBatchable(message: EmailMessage): boolean {
  return (
    message.to.length === 1 && !message.cc?.length && !message.bcc?.length && !message.attachments?.length
  );
}

function sharedKey(message: EmailMessage): string {
  return JSON.stringify([
    message.from ? formatEmailAddress(message.from) : null,
    message.replyTo?.map(formatEmailAddress) ?? [],
    message.subject,
    message.text ?? null,
    message.html ?? null,
    message.tags ?? [],
    Object.entries(message.headers ?? {}),
  ]);
}

/** Messages grouped by identical content, each group split so that no request names one address twice. */
function chunksOf(messages: readonly EmailMessage[]): EmailMessage[][] {
  const groups = new Map<string, Array<{ messages: EmailMessage[]; addresses: Set<string> }>>();
  const order: EmailMessage[][] = [];
  for (const message of messages) {
    const address = (message.to[0]?.email ?? '').toLowerCase();
    const key = sharedKey(message);
    const chunks = groups.get(key) ?? [];
    groups.set(key, chunks);
    let chunk = chunks.find(
      (candidate) =>
        !candidate.addresses.has(address) && candidate.messages.length < MAILGUN_MAX_BATCH_RECIPIENTS,
    );
    if (!chunk) {
      chunk = { messages: [], addresses: new Set() };
      chunks.push(chunk);
      order.push(chunk.messages);
    }
    chunk.messages.push(message);
    chunk.addresses.add(address);
  }
  return order;
}

function batchData(messages: EmailMessage[], options: MessageDataOptions): MessageFields {
  const first = messages[0] as EmailMessage;
  const data = sharedMessageData(first, options);
  const variables: Record<string, Record<string, string>> = {};
  data.to = messages.map((message) => {
    const recipient = message.to[0]!;
    variables[recipient.email] = { [MESSAGE_ID_VARIABLE]: message.id };
    return formatEmailAddress(recipient);
  });
  data['recipient-variables'] = JSON.stringify(variables);
  data[`v:${MESSAGE_ID_VARIABLE}`] = `%recipient.${MESSAGE_ID_VARIABLE}%`;
  return data;
}

/** Plans the API calls for a batch: shared-content groups as one call each, the rest one call per message. */
export function planBatch(messages: readonly EmailMessage[], options: MessageDataOptions): BatchRequest[] {
  const requests: BatchRequest[] = [];
  const batchable = messages.filter(isBatchable);
  for (const chunk of chunksOf(batchable)) {
    const data = chunk.length === 1 ? toMessageData(chunk[0]!, options) : batchData(chunk, options);
    requests.push({ messages: chunk, data });
  }
  for (const message of messages) {
    if (!isBatchable(message)) requests.push({ messages: [message], data: toMessageData(message, options) });
  }
  return requests;
}
