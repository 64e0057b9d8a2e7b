import { ValidationError, type ValidationIssue } from './errors.js';
import { checkBodyText, checkText, STRUCTURAL_EMAIL_HEADERS } from './message-text.js';
import { checkPhoneNumber } from './phone.js';
import { validateWhatsApp, type WhatsAppMessage } from './whatsapp-message.js';

export type Channel = 'sms' | 'email' | 'whatsapp';
/** Every channel this contract knows; a host refuses a plugin or provider that names another. */
export const CHANNELS: readonly Channel[] = ['sms', 'email', 'whatsapp'];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

/** What every channel's message carries. */
export interface MessageBase {
  /** The gateway's id for this message; providers echo it where they can (correlator, custom args). */
  id: string;
  /** The client's idempotency key, if it gave one. */
  idempotencyKey?: string | undefined;
  tags?: readonly string[] | undefined;
  metadata?: Readonly<Record<string, string>> | undefined;
}

export interface SmsMessage extends MessageBase {
  channel: 'sms';
  /** Recipient in E.164 (`+260971234567`). */
  to: string;
  /** Sender id (alphanumeric, up to 11 characters) or number; the provider's default when absent. */
  from?: string | undefined;
  text: string;
}

export interface EmailAddress {
  email: string;
  name?: string | undefined;
}

export interface EmailAttachment {
  filename: string;
  contentType: string;
  /** Raw bytes. */
  content: Uint8Array;
  /** Set for inline parts referenced as `cid:` from the HTML. */
  contentId?: string | undefined;
}

export interface EmailMessage extends MessageBase {
  channel: 'email';
  from: EmailAddress;
  to: readonly EmailAddress[];
  cc?: readonly EmailAddress[] | undefined;
  bcc?: readonly EmailAddress[] | undefined;
  replyTo?: readonly EmailAddress[] | undefined;
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  attachments?: readonly EmailAttachment[] | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
}

export type Message = SmsMessage | EmailMessage | WhatsAppMessage;
export type MessageFor<C extends Channel> = C extends 'sms'
  ? SmsMessage
  : C extends 'email'
    ? EmailMessage
    : WhatsAppMessage;

/** Whole-message size caps: past these a provider would reject the message anyway. */
export const SMS_MAX_TEXT_LENGTH = 1600;
/**
 * Recipients of one email, to, cc and bcc together: the lowest cap among the email providers
 * (SES takes 50 per message, Resend 50 in `to`), so that a failover never meets a refusal.
 */
export const EMAIL_MAX_RECIPIENTS = 50;
const EMAIL_PATTERN = /^[^\s\p{Cc}@<>()[\],;:"]+@[^\s\p{Cc}@<>()[\],;:"]+\.[^\s\p{Cc}@<>()[\],;:"]+$/u;
const HEADER_NAME_PATTERN = /^[!-9;-~]+$/;
/** `type/subtype`, then parameters. */
const CONTENT_TYPE_PATTERN = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;.*)?$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL_PATTERN.test(value);
}

/**
 * Checks a message and returns it with the recipient normalised to E.164.
 * Throws a `ValidationError` listing every problem with its field path.
 */
export function validateMessage<M extends Message>(message: M, options: { defaultCountry?: string } = {}): M {
  const issues: ValidationIssue[] = [];
  if (typeof message.id !== 'string' || message.id.length === 0)
    issues.push({ path: 'id', message: 'is required' });
  validateLabels(message, issues);
  if (message.channel === 'sms') {
    const validated = validateSms(message, issues, options.defaultCountry);
    if (issues.length > 0) throw new ValidationError(issues, { subject: 'invalid SMS' });
    return validated as M;
  }
  if (message.channel === 'email') {
    validateEmail(message, issues);
    if (issues.length > 0) throw new ValidationError(issues, { subject: 'invalid email' });
    return message;
  }
  if (message.channel === 'whatsapp') {
    const validated = validateWhatsApp(message, issues, options.defaultCountry);
    if (issues.length > 0) throw new ValidationError(issues, { subject: 'invalid WhatsApp message' });
    return validated as M;
  }
  throw new ValidationError([
    {
      path: 'channel',
      message: `must be one of ${CHANNELS.join(', ')}, got ${JSON.stringify((message as Message).channel)}`,
    },
  ]);
}

function validateSms(message: SmsMessage, issues: ValidationIssue[], defaultCountry?: string): SmsMessage {
  const to = checkPhoneNumber(message.to, 'to', issues, defaultCountry);
  checkBodyText(message.text, 'text', SMS_MAX_TEXT_LENGTH, issues);
  if (message.from !== undefined) {
    if (typeof message.from !== 'string' || message.from.length === 0) {
      issues.push({ path: 'from', message: 'must be a non-empty sender id or number' });
    } else if (!/^\+?\d{3,15}$/.test(message.from) && !/^[A-Za-z0-9 ._-]{1,11}$/.test(message.from)) {
      issues.push({
        path: 'from',
        message: 'must be a number (3-15 digits) or an alphanumeric sender id of at most 11 characters',
      });
    }
  }
  return to === message.to ? message : { ...message, to };
}

/** Tags and metadata travel to providers too (custom args, email tags, headers). */
function validateLabels(message: Message, issues: ValidationIssue[]): void {
  message.tags?.forEach((tag, index) => {
    checkText(tag, `tags.${index}`, issues, { singleLine: true });
  });
  for (const [key, value] of Object.entries(message.metadata ?? {})) {
    checkText(key, `metadata.${key}`, issues, { singleLine: true });
    checkText(value, `metadata.${key}`, issues);
  }
}

function validateAddress(address: EmailAddress | undefined, path: string, issues: ValidationIssue[]): void {
  if (!address || typeof address.email !== 'string') {
    issues.push({ path, message: 'is required' });
  } else if (!isEmailAddress(address.email)) {
    issues.push({
      path: `${path}.email`,
      message: `${JSON.stringify(address.email)} is not an email address`,
    });
  }
  if (address?.name !== undefined) checkText(address.name, `${path}.name`, issues, { singleLine: true });
}

/** At most `EMAIL_MAX_RECIPIENTS` in to, cc and bcc together; the list that goes past it is named. */
function checkRecipientCount(message: EmailMessage, issues: ValidationIssue[]): void {
  let count = 0;
  for (const field of ['to', 'cc', 'bcc'] as const) {
    const list = message[field];
    if (!Array.isArray(list)) continue;
    count += list.length;
    if (count > EMAIL_MAX_RECIPIENTS) {
      issues.push({
        path: field,
        message: `brings the recipients (to, cc and bcc together) to ${count}; the limit is ${EMAIL_MAX_RECIPIENTS}`,
      });
      return;
    }
  }
}

function validateEmail(message: EmailMessage, issues: ValidationIssue[]): void {
  validateAddress(message.from, 'from', issues);
  if (!Array.isArray(message.to) || message.to.length === 0) {
    issues.push({ path: 'to', message: 'needs at least one recipient' });
  } else {
    message.to.forEach((address, index) => {
      validateAddress(address, `to.${index}`, issues);
    });
  }
  for (const field of ['cc', 'bcc', 'replyTo'] as const) {
    message[field]?.forEach((address, index) => {
      validateAddress(address, `${field}.${index}`, issues);
    });
  }
  checkRecipientCount(message, issues);
  if (typeof message.subject !== 'string' || message.subject.trim().length === 0) {
    issues.push({ path: 'subject', message: 'must not be empty' });
  } else {
    checkText(message.subject, 'subject', issues, { singleLine: true });
  }
  const hasText = typeof message.text === 'string' && message.text.length > 0;
  const hasHtml = typeof message.html === 'string' && message.html.length > 0;
  if (!hasText && !hasHtml) issues.push({ path: 'text', message: 'an email needs text or html (or both)' });
  if (hasText) checkText(message.text, 'text', issues);
  if (hasHtml) checkText(message.html, 'html', issues);
  message.attachments?.forEach((attachment, index) => {
    validateAttachment(attachment, index, issues);
  });
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const path = `headers.${name}`;
    if (!HEADER_NAME_PATTERN.test(name)) {
      issues.push({ path, message: 'is not a valid header name' });
    } else if (STRUCTURAL_EMAIL_HEADERS.has(name.toLowerCase())) {
      issues.push({
        path,
        message: 'is set from the message fields (or reserved); it cannot be a custom header',
      });
    } else {
      checkText(value, path, issues, { singleLine: true });
    }
  }
}

function validateAttachment(attachment: EmailAttachment, index: number, issues: ValidationIssue[]): void {
  const path = `attachments.${index}`;
  if (!attachment.filename) issues.push({ path: `${path}.filename`, message: 'is required' });
  else checkText(attachment.filename, `${path}.filename`, issues, { singleLine: true });
  if (!attachment.contentType) {
    issues.push({ path: `${path}.contentType`, message: 'is required' });
  } else {
    const before = issues.length;
    checkText(attachment.contentType, `${path}.contentType`, issues, { singleLine: true });
    if (issues.length === before && !CONTENT_TYPE_PATTERN.test(attachment.contentType)) {
      issues.push({ path: `${path}.contentType`, message: 'must be a media type like application/pdf' });
    }
  }
  if (attachment.contentId !== undefined) {
    checkText(attachment.contentId, `${path}.contentId`, issues, { singleLine: true });
  }
  if (!(attachment.content instanceof Uint8Array)) {
    issues.push({ path: `${path}.content`, message: 'must be bytes' });
  }
}

/** Every recipient of an email, in order: to, cc, bcc. */
export function emailRecipients(message: EmailMessage): EmailAddress[] {
  return [...message.to, ...(message.cc ?? []), ...(message.bcc ?? [])];
}

/** `Name <email>` or `email`. */
export function formatEmailAddress(address: EmailAddress): string {
  if (!address.name) return address.email;
  const needsQuotes = /[",;:<>@()[\]\\]/.test(address.name);
  const name = needsQuotes ? `"${address.name.replace(/["\\]/g, '\\$&')}"` : address.name;
  return `${name} <${address.email}>`;
}
