import { type ErrorKind, ProviderError, ValidationError } from './errors.js';
import {
  type EmailMessage,
  emailRecipients,
  type Message,
  type SmsMessage,
  validateMessage,
} from './message.js';
import type { ProviderCapabilities, ValidateResult } from './provider.js';
import { assertEncodableText } from './provider-utils.js';
import { senderTypeOf } from './sender-type.js';
import { countSmsSegments, isGsm7 } from './sms-encoding.js';

/** What a provider refuses beyond its capabilities, for `localValidation`. */
export interface LocalValidationRules {
  /** The instance's sender for an SMS that names none (a `from` option). */
  defaultSender?: string | undefined;
  /** The provider refuses an SMS without a sender (no account default takes its place). */
  senderRequired?: boolean | undefined;
  /** Most UTF-16 units of SMS text the provider takes. */
  maxTextLength?: number | undefined;
  /** Most SMS parts the provider sends for one message (as `countSmsSegments` counts them). */
  maxSegments?: number | undefined;
  /** Most recipients of one email, to, cc and bcc together. */
  maxRecipients?: number | undefined;
}

function refusal(provider: string, kind: ErrorKind, providerCode: string, message: string): ProviderError {
  return new ProviderError({
    kind,
    provider,
    providerCode,
    message: `${message} (checked locally; nothing was sent)`,
  });
}

/** `to` -> `MSG_INVALID_TO`, `replyTo.0.email` -> `MSG_INVALID_REPLY_TO`: the field the code names. */
function invalidFieldCode(path: string): string {
  const field = path.split('.')[0] || 'message';
  return `MSG_INVALID_${field.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** What `validateMessage` refuses, as the permanent error a send of that message would meet. */
function assertValidMessage(message: Message, provider: string): void {
  try {
    validateMessage(message);
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error;
    const first = error.issues[0];
    throw refusal(provider, 'permanent', invalidFieldCode(first?.path ?? ''), error.message);
  }
}

function checkSender(
  message: SmsMessage,
  capabilities: ProviderCapabilities,
  provider: string,
  rules: LocalValidationRules,
): void {
  const sender = message.from ?? rules.defaultSender;
  if (sender === undefined) {
    if (rules.senderRequired) {
      throw refusal(
        provider,
        'configuration',
        'MSG_NO_SENDER',
        'from: the message names no sender and the instance has no default sender',
      );
    }
    return;
  }
  const type = senderTypeOf(sender);
  const origin = message.from === undefined ? "the instance's default sender" : 'the sender';
  if (type === undefined || type === 'email') {
    throw refusal(
      provider,
      message.from === undefined ? 'configuration' : 'permanent',
      'MSG_INVALID_FROM',
      `from: ${origin} ${JSON.stringify(sender)} is neither a number nor an alphanumeric sender id of at most 11 characters`,
    );
  }
  if (!capabilities.senderTypes.includes(type)) {
    throw refusal(
      provider,
      'configuration',
      'MSG_SENDER_TYPE',
      `from: ${origin} ${JSON.stringify(sender)} is ${type === 'alphanumeric' ? 'an' : 'a'} ${type} sender; this provider sends from ${capabilities.senderTypes.join(', ')} senders only`,
    );
  }
}

function checkSms(
  message: SmsMessage,
  capabilities: ProviderCapabilities,
  provider: string,
  rules: LocalValidationRules,
): ValidateResult {
  assertEncodableText(provider, { text: message.text });
  assertValidMessage(message, provider);
  checkSender(message, capabilities, provider, rules);
  if (!capabilities.unicode && !isGsm7(message.text)) {
    const outside = [...message.text].find((character) => !isGsm7(character)) ?? '';
    throw refusal(
      provider,
      'permanent',
      'MSG_UNICODE_UNSUPPORTED',
      `text: holds ${JSON.stringify(outside)}, outside GSM-7, and this provider sends GSM-7 text only`,
    );
  }
  if (rules.maxTextLength !== undefined && message.text.length > rules.maxTextLength) {
    throw refusal(
      provider,
      'permanent',
      'MSG_TEXT_TOO_LONG',
      `text: is ${message.text.length} characters; this provider takes at most ${rules.maxTextLength}`,
    );
  }
  const { segments } = countSmsSegments(message.text);
  if (rules.maxSegments !== undefined && segments > rules.maxSegments) {
    throw refusal(
      provider,
      'permanent',
      'MSG_TOO_MANY_SEGMENTS',
      `text: needs ${segments} SMS parts; this provider sends at most ${rules.maxSegments}`,
    );
  }
  return { method: 'local', segments };
}

function checkEmail(
  message: EmailMessage,
  capabilities: ProviderCapabilities,
  provider: string,
  rules: LocalValidationRules,
): ValidateResult {
  assertEncodableText(provider, { subject: message.subject, text: message.text, html: message.html });
  assertValidMessage(message, provider);
  if ((message.attachments?.length ?? 0) > 0 && !capabilities.attachments) {
    throw refusal(
      provider,
      'permanent',
      'MSG_ATTACHMENTS_UNSUPPORTED',
      'attachments: this provider sends no attachments',
    );
  }
  const recipients = emailRecipients(message).length;
  if (rules.maxRecipients !== undefined && recipients > rules.maxRecipients) {
    throw refusal(
      provider,
      'permanent',
      'MSG_TOO_MANY_RECIPIENTS',
      `to, cc, bcc: ${recipients} recipients; this provider takes at most ${rules.maxRecipients} per message`,
    );
  }
  return { method: 'local' };
}

/**
 * What can be known without sending: whether a provider with these capabilities (and `rules`, its
 * own limits) would take the message. Checks the message as the API does (`validateMessage`: a
 * valid E.164 number, a well-formed sender and addresses), text every encoder can carry, the
 * sender's type against `senderTypes`, GSM-7 text when `unicode` is false, attachments, and the
 * rules' limits (a WhatsApp message: what `validateMessage` checks, text or a template). Returns
 * `{ method: 'local', segments }` (segments for SMS); throws the
 * `ProviderError` a send would meet, naming the field: `permanent` for the message's own fault,
 * `configuration` for a sender the account cannot use. For `Provider.validate`: run the plugin's
 * own request building first (so its refusals are the ones `send` raises), then this.
 */
export function localValidation(
  message: Message,
  capabilities: ProviderCapabilities,
  provider: string,
  rules: LocalValidationRules = {},
): ValidateResult {
  if (message.channel === 'sms') return checkSms(message, capabilities, provider, rules);
  if (message.channel === 'email') return checkEmail(message, capabilities, provider, rules);
  // WhatsApp (and a channel this version does not know, which the API's checks name): the
  // number, text or template, and every string encodable, as `validateMessage` checks them.
  assertValidMessage(message as Message, provider);
  return { method: 'local' };
}
