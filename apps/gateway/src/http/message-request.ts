import { createHash } from 'node:crypto';
import {
  type Channel,
  isWellFormedText,
  type Message,
  type RoutingOverride,
  ValidationError,
  type ValidationIssue,
  validateMessage,
  type WhatsAppTemplate,
} from '@msg/core';
import type { CallbackTargetPolicy } from '../callbacks/callback-target.js';
import { CHANNEL_NAMES, channelOf, messageFromRequest } from './channel-request.js';

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
  /** WhatsApp: a pre-approved template instead of `text`. */
  template?: WhatsAppTemplate;
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
  const common = {
    id,
    ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
    ...(body.tags ? { tags: body.tags } : {}),
    ...(body.metadata ? { metadata: body.metadata } : {}),
  };
  const message = messageFromRequest(body, channel, common, issues);
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
    throw new ValidationError(issues, {
      // As @msg/core names them: "invalid SMS", "invalid email", "invalid WhatsApp message".
      subject: `invalid ${CHANNEL_NAMES[channel]}${channel === 'whatsapp' ? ' message' : ''}`,
    });
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
