import type { Channel, EmailAddress, Message, MessageBase, ValidationIssue } from '@msg/core';
import type { MessageRequestBody } from './message-request.js';

type ChannelField =
  | 'from'
  | 'subject'
  | 'html'
  | 'cc'
  | 'bcc'
  | 'replyTo'
  | 'attachments'
  | 'headers'
  | 'template';

/** The fields only some channels take (`to` and `text` are everyone's), and the channels that take each. */
const CHANNEL_FIELDS: Readonly<Record<ChannelField, readonly Channel[]>> = {
  // A WhatsApp message is sent by the provider instance's business number.
  from: ['sms', 'email'],
  subject: ['email'],
  html: ['email'],
  cc: ['email'],
  bcc: ['email'],
  replyTo: ['email'],
  attachments: ['email'],
  headers: ['email'],
  template: ['whatsapp'],
};

export const CHANNEL_NAMES: Readonly<Record<Channel, string>> = {
  sms: 'SMS',
  email: 'email',
  whatsapp: 'WhatsApp',
};

/** An issue for each field the channel does not take, naming the channels that do. */
function checkChannelFields(body: MessageRequestBody, channel: Channel, issues: ValidationIssue[]): void {
  for (const [field, channels] of Object.entries(CHANNEL_FIELDS) as Array<
    [ChannelField, readonly Channel[]]
  >) {
    if (body[field] === undefined || channels.includes(channel)) continue;
    const takers = channels.map((taker) => CHANNEL_NAMES[taker]).join(' and ');
    issues.push({ path: field, message: `is for ${takers} only, not ${CHANNEL_NAMES[channel]}` });
  }
}
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function toAddress(value: unknown, path: string, issues: ValidationIssue[]): EmailAddress | undefined {
  if (typeof value === 'string') return { email: value.trim() };
  if (value && typeof value === 'object' && !Array.isArray(value) && 'email' in value) {
    const { email, name, ...rest } = value as Record<string, unknown>;
    for (const key of Object.keys(rest)) issues.push({ path: `${path}.${key}`, message: 'unknown field' });
    if (typeof email !== 'string') issues.push({ path: `${path}.email`, message: 'must be a string' });
    if (name !== undefined && typeof name !== 'string')
      issues.push({ path: `${path}.name`, message: 'must be a string' });
    return { email: String(email), ...(typeof name === 'string' ? { name } : {}) };
  }
  issues.push({ path, message: 'must be an email address or { email, name }' });
  return undefined;
}

function toAddresses(value: unknown, path: string, issues: ValidationIssue[]): EmailAddress[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const single = !Array.isArray(value);
  return list
    .map((item, index) => toAddress(item, single ? path : `${path}.${index}`, issues))
    .filter((item): item is EmailAddress => item !== undefined);
}

/**
 * The channel when the client does not say: an address means email, a template WhatsApp (no
 * other channel has one), anything else SMS.
 */
export function channelOf(body: MessageRequestBody): Channel {
  if (body.channel) return body.channel;
  if (body.template !== undefined) return 'whatsapp';
  if (typeof body.to === 'string') return body.to.includes('@') ? 'email' : 'sms';
  return 'email';
}

function phoneNumberField(body: MessageRequestBody, issues: ValidationIssue[]): string {
  if (typeof body.to !== 'string')
    issues.push({ path: 'to', message: 'must be an E.164 number as a string' });
  return String(body.to ?? '');
}

/**
 * The request's message for its channel, not yet validated: fields the channel does not take,
 * and shapes that are wrong for it (a number that is not a string, an address that is not one),
 * are added to `issues`.
 */
export function messageFromRequest(
  body: MessageRequestBody,
  channel: Channel,
  common: MessageBase,
  issues: ValidationIssue[],
): Message {
  checkChannelFields(body, channel, issues);
  if (channel === 'sms') {
    const to = phoneNumberField(body, issues);
    if (body.from !== undefined && typeof body.from !== 'string') {
      issues.push({ path: 'from', message: 'must be a sender id or number as a string' });
    }
    return {
      ...common,
      channel: 'sms',
      to,
      text: body.text ?? '',
      ...(typeof body.from === 'string' ? { from: body.from } : {}),
    };
  }
  if (channel === 'whatsapp') {
    return {
      ...common,
      channel: 'whatsapp',
      to: phoneNumberField(body, issues),
      ...(body.text !== undefined ? { text: body.text } : {}),
      ...(body.template !== undefined ? { template: body.template } : {}),
    };
  }
  return emailFromRequest(body, common, issues);
}

function emailFromRequest(body: MessageRequestBody, common: MessageBase, issues: ValidationIssue[]): Message {
  if (body.from === undefined) issues.push({ path: 'from', message: 'is required for email' });
  const from = body.from === undefined ? undefined : toAddress(body.from, 'from', issues);
  const attachments = body.attachments?.map((attachment, index) => {
    if (!BASE64.test(attachment.content)) {
      issues.push({ path: `attachments.${index}.content`, message: 'must be base64' });
    }
    return {
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: new Uint8Array(Buffer.from(attachment.content, 'base64')),
      ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
    };
  });
  return {
    ...common,
    channel: 'email',
    from: from ?? { email: '' },
    to: toAddresses(body.to, 'to', issues) ?? [],
    subject: body.subject ?? '',
    ...(body.text !== undefined ? { text: body.text } : {}),
    ...(body.html !== undefined ? { html: body.html } : {}),
    ...(body.cc ? { cc: toAddresses(body.cc, 'cc', issues) } : {}),
    ...(body.bcc ? { bcc: toAddresses(body.bcc, 'bcc', issues) } : {}),
    ...(body.replyTo ? { replyTo: toAddresses(body.replyTo, 'replyTo', issues) } : {}),
    ...(attachments ? { attachments } : {}),
    ...(body.headers ? { headers: body.headers } : {}),
  };
}
