import type { EmailAddress, EmailMessage } from '@msg/core';

/** SendGrid's limits per `POST /v3/mail/send`. */
export const MAX_PERSONALIZATIONS = 1000;
export const MAX_RECIPIENTS = 1000;
export const MAX_CATEGORIES = 10;
/** The custom arg that carries our message id; events echo it as a top-level key. */
export const MESSAGE_ID_ARGUMENT = 'msg_id';

/**
 * Headers SendGrid reserves, plus those @sendgrid/mail would also copy into the HTTP request
 * (where `Authorization` would replace the API key).
 */
const RESERVED_HEADERS = new Set([
  'x-sg-id',
  'x-sg-eid',
  'received',
  'dkim-signature',
  'content-type',
  'content-transfer-encoding',
  'to',
  'from',
  'subject',
  'reply-to',
  'cc',
  'bcc',
  'authorization',
  'accept',
  'user-agent',
  'on-behalf-of',
  'content-length',
  'host',
]);

export interface MailSettings {
  sandboxMode: boolean;
  ipPoolName?: string | undefined;
}

/** The data `MailService.send` takes (camelCase; the SDK turns it into the snake_case wire body). */
export interface MailData {
  from: EmailAddress;
  subject: string;
  text?: string;
  html?: string;
  personalizations: Array<{
    to: EmailAddress[];
    cc?: EmailAddress[];
    bcc?: EmailAddress[];
    customArgs?: Record<string, string>;
  }>;
  customArgs?: Record<string, string>;
  replyTo?: EmailAddress;
  replyToList?: EmailAddress[];
  attachments?: Array<{
    content: string;
    filename: string;
    type: string;
    disposition: 'attachment' | 'inline';
    content_id?: string;
  }>;
  headers?: Record<string, string>;
  categories?: string[];
  mailSettings?: { sandboxMode: { enable: boolean } };
  ipPoolName?: string;
}

/** Names of the message's headers SendGrid (or the SDK) would not carry as given. */
export function reservedHeaders(message: EmailMessage): string[] {
  return Object.keys(message.headers ?? {}).filter((name) => RESERVED_HEADERS.has(name.toLowerCase()));
}

function address(value: EmailAddress): EmailAddress {
  return value.name ? { email: value.email, name: value.name } : { email: value.email };
}

/** SendGrid refuses a personalization that names one address twice across to, cc and bcc. */
function personalization(message: EmailMessage, customArgs: Record<string, string> | undefined) {
  const seen = new Set<string>();
  const unique = (list: readonly EmailAddress[] | undefined) => {
    const kept = (list ?? []).filter((entry) => {
      const key = entry.email.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return kept.length > 0 ? kept.map(address) : undefined;
  };
  const to = unique(message.to) ?? [];
  const cc = unique(message.cc);
  const bcc = unique(message.bcc);
  return { to, ...(cc && { cc }), ...(bcc && { bcc }), ...(customArgs && { customArgs }) };
}

export function recipientCount(message: EmailMessage): number {
  return message.to.length + (message.cc?.length ?? 0) + (message.bcc?.length ?? 0);
}

/**
 * What makes two messages one request: every field outside the personalization. Messages with the
 * same key differ only in recipients and id, so they can share one body.
 */
export function sharedContentKey(message: EmailMessage): string {
  return JSON.stringify([
    message.from.email,
    message.from.name ?? '',
    message.subject,
    message.text ?? '',
    message.html ?? '',
    (message.replyTo ?? []).map((entry) => [entry.email, entry.name ?? '']),
    message.headers ?? {},
    message.tags ?? [],
    (message.attachments ?? []).map((attachment) => [
      attachment.filename,
      attachment.contentType,
      attachment.contentId ?? '',
      Buffer.from(attachment.content).toString('base64'),
    ]),
  ]);
}

/**
 * The SDK input for messages that share their content (one, or a batch group): one
 * personalization per message. A single message carries its id in the top-level custom args; in a
 * group each personalization carries its own, which SendGrid echoes on that recipient's events.
 */
export function toMailData(messages: readonly EmailMessage[], settings: MailSettings): MailData {
  const first = messages[0];
  if (!first) throw new Error('toMailData needs at least one message');
  const single = messages.length === 1;
  const data: MailData = {
    from: address(first.from),
    subject: first.subject,
    personalizations: messages.map((message) =>
      personalization(message, single ? undefined : { [MESSAGE_ID_ARGUMENT]: message.id }),
    ),
  };
  if (single) data.customArgs = { [MESSAGE_ID_ARGUMENT]: first.id };
  // The SDK orders content text/plain then text/html, as SendGrid requires.
  if (first.text) data.text = first.text;
  if (first.html) data.html = first.html;
  const replyTo = first.replyTo ?? [];
  if (replyTo.length === 1) data.replyTo = address(replyTo[0] as EmailAddress);
  if (replyTo.length > 1) data.replyToList = replyTo.map(address);
  if (first.attachments?.length) {
    data.attachments = first.attachments.map((attachment) => ({
      content: Buffer.from(attachment.content).toString('base64'),
      filename: attachment.filename,
      type: attachment.contentType,
      disposition: attachment.contentId ? 'inline' : 'attachment',
      ...(attachment.contentId && { content_id: attachment.contentId }),
    }));
  }
  if (first.headers && Object.keys(first.headers).length > 0) data.headers = { ...first.headers };
  if (first.tags?.length) data.categories = first.tags.slice(0, MAX_CATEGORIES);
  if (settings.sandboxMode) data.mailSettings = { sandboxMode: { enable: true } };
  if (settings.ipPoolName) data.ipPoolName = settings.ipPoolName;
  return data;
}

/**
 * Splits messages into requests: same shared content, at most 1000 personalizations and 1000
 * recipients each. Returns indexes into `messages`, so outcomes can be put back in order.
 */
export function planBatches(messages: readonly EmailMessage[]): number[][] {
  const groups = new Map<string, number[][]>();
  const counts = new Map<number[], number>();
  messages.forEach((message, index) => {
    const key = sharedContentKey(message);
    const chunks = groups.get(key) ?? [];
    if (chunks.length === 0) groups.set(key, chunks);
    const recipients = recipientCount(message);
    let current = chunks[chunks.length - 1];
    if (
      !current ||
      current.length >= MAX_PERSONALIZATIONS ||
      (counts.get(current) ?? 0) + recipients > MAX_RECIPIENTS
    ) {
      current = [];
      chunks.push(current);
    }
    current.push(index);
    counts.set(current, (counts.get(current) ?? 0) + recipients);
  });
  return [...groups.values()].flat();
}
