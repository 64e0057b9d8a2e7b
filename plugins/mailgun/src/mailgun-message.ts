import { type EmailAttachment, type EmailMessage, formatEmailAddress } from '@msg/core';
import type { FormDataInputValue } from 'mailgun.js/definitions';

/** The user variable that carries our message id; Mailgun echoes it in every event's `user-variables`. */
export const MESSAGE_ID_VARIABLE = 'msg_id';

/** Form fields as mailgun.js takes them (arrays become repeated fields). */
export type MessageFields = Record<string, FormDataInputValue>;

export interface MessageDataOptions {
  /** Sender when a message has none (`Name <address>` or an address). */
  defaultFrom?: string | undefined;
  /** `o:testmode`: Mailgun accepts the message and sends nothing. */
  testMode?: boolean | undefined;
}

/** An attachment as a File, so mailgun.js keeps its content type; inline parts are named by content id (`cid:`). */
function toFile(attachment: EmailAttachment, name: string): File {
  return new File([attachment.content], name, { type: attachment.contentType });
}

/** Everything but the recipients and our id: the part messages of one batch request share. */
export function sharedMessageData(message: EmailMessage, options: MessageDataOptions): MessageFields {
  const from = message.from?.email ? formatEmailAddress(message.from) : options.defaultFrom;
  const data: MessageFields = { subject: message.subject, text: message.text, html: message.html };
  if (from) data.from = from;
  if (message.replyTo?.length) data['h:Reply-To'] = message.replyTo.map(formatEmailAddress).join(', ');
  if (message.tags?.length) data['o:tag'] = [...message.tags];
  for (const [name, value] of Object.entries(message.headers ?? {})) data[`h:${name}`] = value;
  const attachments = message.attachments ?? [];
  const files = attachments.filter((item) => !item.contentId).map((item) => toFile(item, item.filename));
  const inline = attachments
    .filter((item) => item.contentId)
    .map((item) => toFile(item, item.contentId as string));
  if (files.length > 0) data.attachment = files;
  if (inline.length > 0) data.inline = inline;
  if (options.testMode) data['o:testmode'] = 'yes';
  return data;
}

/** The form fields of a single message: `from`, repeated `to`/`cc`/`bcc`, content, `v:msg_id`. */
export function toMessageData(message: EmailMessage, options: MessageDataOptions): MessageFields {
  const data = sharedMessageData(message, options);
  data.to = message.to.map(formatEmailAddress);
  if (message.cc?.length) data.cc = message.cc.map(formatEmailAddress);
  if (message.bcc?.length) data.bcc = message.bcc.map(formatEmailAddress);
  data[`v:${MESSAGE_ID_VARIABLE}`] = message.id;
  return data;
}
