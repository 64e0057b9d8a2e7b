import { createHash } from 'node:crypto';
import { type EmailMessage, formatEmailAddress } from '@msg/core';
import type { ResendEmailInput } from './resend-api-types.js';

/** The tag that carries our message id; webhooks echo tags in `data.tags`. */
export const MESSAGE_ID_TAG = 'msg_id';
/** Resend's limits. */
export const MAX_TO = 50;
export const MAX_BATCH = 100;
export const MAX_TAGS = 75;
const TAG_TEXT = /^[A-Za-z0-9_-]{1,256}$/;
/** Visible ASCII within Resend's 256 characters: anything else cannot go out as the header. */
const HEADER_SAFE_KEY = /^[\x21-\x7e]{1,256}$/;

/**
 * The Idempotency-Key for a message: our message id, the same on every retry of the message
 * (the gateway already maps a client's own key to one message id). An id longer than Resend's
 * 256 characters, or with characters a header cannot carry, is sent as its SHA-256.
 */
export function idempotencyKeyFor(message: EmailMessage): string {
  return HEADER_SAFE_KEY.test(message.id)
    ? message.id
    : createHash('sha256').update(message.id).digest('hex');
}

/** One key for a batch: the same messages in the same order give the same key. */
export function batchIdempotencyKey(messages: readonly EmailMessage[]): string {
  const hash = createHash('sha256');
  for (const message of messages) hash.update(`${message.id}\n`);
  return `batch-${hash.digest('hex')}`;
}

/**
 * Tags Resend accepts (ASCII letters, digits, `_`, `-`): our id as `msg_id` (when it fits), the
 * message's metadata as name/value pairs and its tags as `name: "true"`; others are left out.
 */
export function tagsFor(message: EmailMessage): Array<{ name: string; value: string }> {
  const tags: Array<{ name: string; value: string }> = [];
  if (TAG_TEXT.test(message.id)) tags.push({ name: MESSAGE_ID_TAG, value: message.id });
  for (const [name, value] of Object.entries(message.metadata ?? {})) {
    if (name !== MESSAGE_ID_TAG && TAG_TEXT.test(name) && TAG_TEXT.test(value)) tags.push({ name, value });
  }
  for (const tag of message.tags ?? []) {
    if (tag !== MESSAGE_ID_TAG && TAG_TEXT.test(tag)) tags.push({ name: tag, value: 'true' });
  }
  return tags.slice(0, MAX_TAGS);
}

/** The SDK's input for one message. */
export function toEmailInput(message: EmailMessage): ResendEmailInput {
  const input: ResendEmailInput = {
    from: formatEmailAddress(message.from),
    to: message.to.map(formatEmailAddress),
    subject: message.subject,
  };
  if (message.cc?.length) input.cc = message.cc.map(formatEmailAddress);
  if (message.bcc?.length) input.bcc = message.bcc.map(formatEmailAddress);
  if (message.replyTo?.length) input.replyTo = message.replyTo.map(formatEmailAddress);
  if (message.text) input.text = message.text;
  if (message.html) input.html = message.html;
  if (message.headers && Object.keys(message.headers).length > 0) input.headers = { ...message.headers };
  if (message.attachments?.length) {
    input.attachments = message.attachments.map((attachment) => ({
      content: Buffer.from(attachment.content),
      filename: attachment.filename,
      contentType: attachment.contentType,
      ...(attachment.contentId && { contentId: attachment.contentId }),
    }));
  }
  const tags = tagsFor(message);
  if (tags.length > 0) input.tags = tags;
  return input;
}
