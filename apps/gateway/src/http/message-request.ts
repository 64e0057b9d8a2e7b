import { createHash } from 'node:crypto';
import {
  type Channel,
  type EmailAddress,
  isWellFormedText,
  type Message,
  type RoutingOverride,
  ValidationError,
  type ValidationIssue,
  validateMessage,
} from '@msg/core';
import type { CallbackTargetPolicy } from '../callbacks/callback-target.js';

/** A message as the API takes it (see `messageSchema`). */
export interface MessageRequestBody {
  channel?: Channel;
  to: unknown;
  from?: unknown;
  text?: string;
  html?: string;
  subject?: string;
  cc?: unknown[];
  bcc?: unknown[];
  replyTo?: unknown[];
  attachments?: Array<{ filename: string; contentType: string; content: string; contentId?: string }>;
  headers?: Record<string, string>;
  tags?: string[];
  metadata?: Record<string, string>;
  callbackUrl?: string;
  override?: { provider?: string };
}

export interface ParsedMessageRequest {
  message: Message;
  callbackUrl: string | undefined;
  override: RoutingOverride | undefined;
}

const EMAIL_ONLY = ['subject', 'html', 'cc', 'bcc', 'replyTo', 'attachments', 'headers'] as const;
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

/** The channel when the client does not say: an address means email, anything else SMS. */
function channelOf(body: MessageRequestBody): Channel {
  if (body.channel) return body.channel;
  if (typeof body.to === 'string') return body.to.includes('@') ? 'email' : 'sms';
  return 'email';
}

/**
 * Turns an API body into a validated message: channel-specific shapes, E.164 (normalised),
 * email sender and content, the callback URL and a routing override naming a known provider.
 * Throws a `ValidationError` listing every issue with its field path.
 */
export function parseMessageRequest(
  body: MessageRequestBody,
  id: string,
  context: {
    providers: ReadonlyMap<string, Channel>;
    idempotencyKey?: string | undefined;
    callbackTargets: CallbackTargetPolicy;
  },
): ParsedMessageRequest {
  const issues: ValidationIssue[] = [];
  const channel = channelOf(body);
  let message: Message;
  const common = {
    id,
    ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
    ...(body.tags ? { tags: body.tags } : {}),
    ...(body.metadata ? { metadata: body.metadata } : {}),
  };
  if (channel === 'sms') {
    for (const field of EMAIL_ONLY) {
      if (body[field] !== undefined) issues.push({ path: field, message: 'is for email only' });
    }
    if (typeof body.to !== 'string')
      issues.push({ path: 'to', message: 'must be an E.164 number as a string' });
    if (body.from !== undefined && typeof body.from !== 'string') {
      issues.push({ path: 'from', message: 'must be a sender id or number as a string' });
    }
    message = {
      ...common,
      channel: 'sms',
      to: String(body.to ?? ''),
      text: body.text ?? '',
      ...(typeof body.from === 'string' ? { from: body.from } : {}),
    };
  } else {
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
    message = {
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
  if (body.callbackUrl !== undefined) {
    const refusal = isWellFormedText(body.callbackUrl)
      ? context.callbackTargets.checkUrl(body.callbackUrl)
      : 'holds a lone UTF-16 surrogate, which cannot be encoded';
    if (refusal) issues.push({ path: 'callbackUrl', message: refusal });
  }
  const providerId = body.override?.provider;
  if (providerId !== undefined) {
    const providerChannel = context.providers.get(providerId);
    if (providerChannel === undefined) {
      issues.push({
        path: 'override.provider',
        message: `unknown provider "${providerId}" (known: ${[...context.providers.keys()].join(', ')})`,
      });
    } else if (providerChannel !== channel) {
      issues.push({
        path: 'override.provider',
        message: `provider "${providerId}" serves ${providerChannel}, not ${channel}`,
      });
    }
  }
  let validated = message;
  try {
    validated = validateMessage(message);
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error;
    // Every problem in one answer; a field already named above is not named twice.
    const named = new Set(issues.map((issue) => issue.path));
    for (const issue of error.issues) if (!named.has(issue.path)) issues.push(issue);
  }
  if (issues.length > 0)
    throw new ValidationError(issues, { subject: `invalid ${channel === 'sms' ? 'SMS' : 'email'}` });
  return {
    message: validated,
    callbackUrl: body.callbackUrl,
    override: providerId ? { provider: providerId } : undefined,
  };
}

/** Fingerprint of a request body for idempotency: the same key with another body is a conflict. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64url');
}
