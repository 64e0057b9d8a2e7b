import type { SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { type EmailMessage, emailRecipients, ProviderError } from '@msg/core';
import { buildRawMessage, formatMimeAddress, STRUCTURAL_HEADERS } from './ses-mime.js';
import { MESSAGE_ID_TAG } from './ses-webhook.js';

/** SES refuses a message with more recipients than this (To, Cc and Bcc together). */
export const SES_MAX_RECIPIENTS = 50;
/** SES accepts at most 50 tags per message. */
const MAX_TAGS = 50;
const TAG_LENGTH = 256;

/** SES tag names and values allow only letters, digits, `_` and `-`, up to 256 characters. */
export function sanitizeTag(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, TAG_LENGTH);
}

function tags(message: EmailMessage): NonNullable<SendEmailCommandInput['EmailTags']> {
  const result = [{ Name: MESSAGE_ID_TAG, Value: sanitizeTag(message.id) }];
  const seen = new Set([MESSAGE_ID_TAG]);
  for (const tag of message.tags ?? []) {
    const name = sanitizeTag(tag);
    if (name === '' || seen.has(name) || result.length >= MAX_TAGS) continue;
    seen.add(name);
    // A gateway tag is a label, SES tags are name/value pairs: the label becomes the name.
    result.push({ Name: name, Value: 'true' });
  }
  return result;
}

export interface SendEmailInputOptions {
  provider: string;
  configurationSetName?: string | undefined;
  now: () => number;
}

function refuse(provider: string, providerCode: string, message: string): ProviderError {
  return new ProviderError({ kind: 'permanent', provider, providerCode, message });
}

/**
 * The SendEmail request for a message: Simple content when SES can build the MIME itself (no
 * attachments, no custom headers), otherwise Raw with the MIME message built here.
 */
export function sendEmailInput(message: EmailMessage, options: SendEmailInputOptions): SendEmailCommandInput {
  const recipients = emailRecipients(message).length;
  if (recipients > SES_MAX_RECIPIENTS) {
    throw refuse(
      options.provider,
      'MSG_TOO_MANY_RECIPIENTS',
      `SES takes at most ${SES_MAX_RECIPIENTS} recipients (To, Cc and Bcc) per message; this one has ${recipients}`,
    );
  }
  const headerNames = Object.keys(message.headers ?? {});
  const reserved = headerNames.find((name) => STRUCTURAL_HEADERS.has(name.toLowerCase()));
  if (reserved) {
    throw refuse(
      options.provider,
      'MSG_RESERVED_HEADER',
      `header "${reserved}" is set from the message fields`,
    );
  }
  const raw = (message.attachments?.length ?? 0) > 0 || headerNames.length > 0;
  const input: SendEmailCommandInput = {
    FromEmailAddress: formatMimeAddress(message.from),
    Destination: {
      ToAddresses: message.to.map(formatMimeAddress),
      CcAddresses: message.cc?.length ? message.cc.map(formatMimeAddress) : undefined,
      BccAddresses: message.bcc?.length ? message.bcc.map(formatMimeAddress) : undefined,
    },
    ReplyToAddresses: message.replyTo?.length ? message.replyTo.map(formatMimeAddress) : undefined,
    Content: raw
      ? { Raw: { Data: buildRawMessage(message, { date: new Date(options.now()) }) } }
      : {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: {
              Text: message.text ? { Data: message.text, Charset: 'UTF-8' } : undefined,
              Html: message.html ? { Data: message.html, Charset: 'UTF-8' } : undefined,
            },
          },
        },
    EmailTags: tags(message),
    ConfigurationSetName: options.configurationSetName,
  };
  return input;
}
