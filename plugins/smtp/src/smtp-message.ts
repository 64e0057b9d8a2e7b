import type { EmailAddress, EmailMessage } from '@msg/core';
import { emailRecipients } from '@msg/core';
import type { SendMailOptions } from 'nodemailer';

/** When to ask the relay for a delivery status notification (RFC 3461 NOTIFY). */
export type DsnNotify = 'success' | 'failure' | 'delay';

export interface DsnSettings {
  notify: readonly DsnNotify[];
  /** RET: the report returns the headers only, or the full message. */
  return: 'headers' | 'full';
}

export interface MessageSettings {
  /** Envelope sender (MAIL FROM): where bounces and DSNs go; the message's `from` when absent. */
  returnPath?: string | undefined;
  /** Right-hand side of our Message-ID; the sender's domain when absent. */
  messageIdDomain?: string | undefined;
  /** DSN request, or `false` for none. Sent only when the relay advertises DSN. */
  dsn: DsnSettings | false;
}

/**
 * Headers the message builder writes itself: taking them from the caller would let a message
 * replace our Message-ID (which correlates receipts) or its own addressing.
 */
const RESERVED_HEADERS = new Set([
  'message-id',
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'sender',
  'subject',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'return-path',
]);

export function reservedHeaders(message: EmailMessage): string[] {
  return Object.keys(message.headers ?? {}).filter((name) => RESERVED_HEADERS.has(name.toLowerCase()));
}

/** RFC 5322 dot-atom text: what may stand left of the `@` in a Message-ID without quoting. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/**
 * Our stable Message-ID for a message (without angle brackets): the same message id always gives
 * the same value, so a resend after an ambiguous failure can be recognised downstream. An id that
 * is not a dot-atom is carried base64url-encoded.
 */
export function messageIdFor(message: EmailMessage, domain: string | undefined): string {
  const local = DOT_ATOM.test(message.id)
    ? message.id
    : `b64.${Buffer.from(message.id).toString('base64url')}`;
  const right = domain ?? message.from.email.slice(message.from.email.lastIndexOf('@') + 1);
  return `${local}@${right}`;
}

/** ENVID (RFC 3461) carries our message id when it is short printable ASCII (the limit is 100). */
export function envelopeIdFor(message: EmailMessage): string | undefined {
  return /^[\x21-\x7e]{1,100}$/.test(message.id) ? message.id : undefined;
}

function address(value: EmailAddress): { name: string; address: string } {
  return { name: value.name ?? '', address: value.email };
}

/** nodemailer's `sendMail` input for one message. */
export function toMailOptions(message: EmailMessage, settings: MessageSettings): SendMailOptions {
  const recipients = [...new Set(emailRecipients(message).map((entry) => entry.email))];
  const options: SendMailOptions = {
    messageId: `<${messageIdFor(message, settings.messageIdDomain)}>`,
    from: address(message.from),
    to: message.to.map(address),
    subject: message.subject,
    envelope: { from: settings.returnPath ?? message.from.email, to: recipients },
  };
  if (message.cc?.length) options.cc = message.cc.map(address);
  // Bcc stays out of the headers: the envelope alone carries it.
  if (message.replyTo?.length) options.replyTo = message.replyTo.map(address);
  if (message.text) options.text = message.text;
  if (message.html) options.html = message.html;
  if (message.headers && Object.keys(message.headers).length > 0) options.headers = { ...message.headers };
  if (message.attachments?.length) {
    options.attachments = message.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: Buffer.from(attachment.content),
      ...(attachment.contentId && { cid: attachment.contentId }),
    }));
  }
  if (settings.dsn) {
    const envelopeId = envelopeIdFor(message);
    options.dsn = {
      ...(envelopeId && { id: envelopeId }),
      return: settings.dsn.return,
      notify: settings.dsn.notify.map((notify) => notify.toUpperCase() as 'SUCCESS'),
    };
  }
  return options;
}
