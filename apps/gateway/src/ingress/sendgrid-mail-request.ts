import type { ValidationIssue } from '@msg/core';
import type { MessageRequestBody } from '../http/message-request.js';
import { SENDGRID_HELP, type SendgridErrorItem } from './sendgrid-errors.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] | undefined => (Array.isArray(value) ? value : undefined);

/** Fields whose effect the gateway cannot give: refused rather than sent as something else. */
const UNSUPPORTED: Record<string, string> = {
  template_id: 'this gateway does not render SendGrid dynamic templates; send `content` instead',
  send_at: 'this gateway sends at once; scheduled sends are not supported',
  sections: 'this gateway does not substitute sections; send the final `content`',
};
const UNSUPPORTED_PER_PERSONALIZATION: Record<string, string> = {
  send_at: UNSUPPORTED.send_at as string,
  substitutions: 'this gateway does not substitute tags; send the final `content`',
  dynamic_template_data: UNSUPPORTED.template_id as string,
};

/** SendGrid's own words for the refusals applications may look for. */
const MESSAGES = {
  from: 'The from object must be provided for every email send. It is an object that requires an email parameter, but may also contain a name parameter.',
  fromEmail: 'The from email does not contain a valid address.',
  personalizations: 'The personalizations field is required and must have at least one personalization.',
  to: 'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
  address: 'Does not contain a valid address.',
  subject:
    'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
  content:
    'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
} as const;

export interface SendgridMailRequest {
  /** One message per personalization: SendGrid sends one email per personalization, to its recipients. */
  bodies: MessageRequestBody[];
  /** `mail_settings.sandbox_mode.enable`: validated, never sent (SendGrid answers 200). */
  sandbox: boolean;
  errors: SendgridErrorItem[];
}

function error(field: string | null, message: string): SendgridErrorItem {
  return { message, field, help: SENDGRID_HELP };
}

function contentOf(content: unknown, errors: SendgridErrorItem[]): { text?: string; html?: string } {
  const parts = list(content);
  if (!parts || parts.length === 0) {
    errors.push(error('content', MESSAGES.content));
    return {};
  }
  const result: { text?: string; html?: string } = {};
  parts.forEach((part, index) => {
    if (!isObject(part) || typeof part.type !== 'string' || typeof part.value !== 'string' || !part.value) {
      errors.push(error(`content.${index}`, MESSAGES.content));
    } else if (part.type === 'text/plain' && result.text === undefined && index === 0) {
      result.text = part.value;
    } else if (part.type === 'text/html' && result.html === undefined) {
      result.html = part.value;
    } else if (part.type === 'text/plain') {
      errors.push(
        error(
          'content',
          'If present, text/plain content must be first, followed by text/html, followed by any other content.',
        ),
      );
    } else {
      errors.push(
        error(
          `content.${index}.type`,
          `this gateway sends text/plain and text/html content only, not ${part.type}`,
        ),
      );
    }
  });
  return result;
}

function attachmentsOf(value: unknown, errors: SendgridErrorItem[]): MessageRequestBody['attachments'] {
  const attachments = list(value);
  if (value !== undefined && !attachments) errors.push(error('attachments', 'must be an array'));
  return attachments?.map((item, index) => {
    const attachment = isObject(item) ? item : {};
    if (typeof attachment.filename !== 'string' || !attachment.filename) {
      errors.push(error(`attachments.${index}.filename`, 'The attachment filename parameter is required.'));
    }
    if (attachment.disposition === 'inline' && typeof attachment.content_id !== 'string') {
      errors.push(
        error(
          `attachments.${index}.content_id`,
          'The content_id parameter is required if your attachment disposition is inline.',
        ),
      );
    }
    return {
      filename: String(attachment.filename ?? ''),
      contentType: typeof attachment.type === 'string' ? attachment.type : 'application/octet-stream',
      content: attachment.content as string,
      ...(attachment.disposition === 'inline' && typeof attachment.content_id === 'string'
        ? { contentId: attachment.content_id }
        : {}),
    };
  });
}

/** No address twice in one personalization's to, cc and bcc together, as SendGrid requires. */
function checkUnique(personalization: Json, index: number, errors: SendgridErrorItem[]): void {
  const seen = new Set<string>();
  for (const field of ['to', 'cc', 'bcc'] as const) {
    for (const address of list(personalization[field]) ?? []) {
      const email = isObject(address) && typeof address.email === 'string' ? address.email.toLowerCase() : '';
      if (email && seen.has(email)) {
        errors.push(
          error(
            `personalizations.${index}.${field}`,
            `Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${email}] in the personalizations.${index}.${field} field.`,
          ),
        );
      }
      seen.add(email);
    }
  }
}

const merged = (base: unknown, own: unknown): Record<string, unknown> | undefined =>
  isObject(base) || isObject(own)
    ? { ...(isObject(base) ? base : {}), ...(isObject(own) ? own : {}) }
    : undefined;

/**
 * A Mail Send body (`POST /v3/mail/send`) as gateway messages, one per personalization, with
 * SendGrid's refusals of its shape. Each message takes the request's from, subject, content,
 * attachments, headers, reply-to, categories (its tags) and custom_args (its metadata), with the
 * personalization's own subject, from, headers and custom_args over them.
 */
export function sendgridMailRequest(
  input: unknown,
  eventWebhookUrl: string | undefined,
): SendgridMailRequest {
  const errors: SendgridErrorItem[] = [];
  if (!isObject(input)) return { bodies: [], sandbox: false, errors: [error(null, 'Bad Request')] };
  const body = input;
  for (const [field, reason] of Object.entries(UNSUPPORTED)) {
    if (body[field] !== undefined) errors.push(error(field, reason));
  }
  if (!isObject(body.from)) errors.push(error('from', MESSAGES.from));
  if (body.reply_to !== undefined && body.reply_to_list !== undefined) {
    errors.push(error('reply_to', 'The reply_to and reply_to_list properties are mutually exclusive.'));
  }
  const categories = list(body.categories);
  if (categories && categories.length > 10) {
    errors.push(error('categories', 'You may not have more than 10 categories per request.'));
  }
  const personalizations = list(body.personalizations);
  if (!personalizations || personalizations.length === 0) {
    errors.push(error('personalizations', MESSAGES.personalizations));
  } else if (personalizations.length > 1000) {
    errors.push(error('personalizations', 'You may not have more than 1000 personalizations per request.'));
  }
  const subjectless = (personalizations ?? []).some(
    (item) => !isObject(item) || (typeof item.subject !== 'string' && typeof body.subject !== 'string'),
  );
  if (subjectless || body.subject === '') errors.push(error('subject', MESSAGES.subject));
  const content = contentOf(body.content, errors);
  const attachments = attachmentsOf(body.attachments, errors);
  const replyTo = body.reply_to !== undefined ? [body.reply_to] : list(body.reply_to_list);
  const bodies = (personalizations ?? []).slice(0, 1000).map((item, index): MessageRequestBody => {
    const personalization = isObject(item) ? item : {};
    const to = list(personalization.to);
    if (!to || to.length === 0) errors.push(error(`personalizations.${index}.to`, MESSAGES.to));
    for (const [field, reason] of Object.entries(UNSUPPORTED_PER_PERSONALIZATION)) {
      if (personalization[field] !== undefined)
        errors.push(error(`personalizations.${index}.${field}`, reason));
    }
    checkUnique(personalization, index, errors);
    const subject = personalization.subject ?? body.subject;
    const headers = merged(body.headers, personalization.headers);
    const customArgs = merged(body.custom_args, personalization.custom_args);
    return {
      channel: 'email',
      from: personalization.from ?? body.from,
      to: to ?? [],
      ...(personalization.cc !== undefined ? { cc: personalization.cc as unknown[] } : {}),
      ...(personalization.bcc !== undefined ? { bcc: personalization.bcc as unknown[] } : {}),
      ...(replyTo ? { replyTo } : {}),
      subject: subject as string,
      ...content,
      ...(attachments ? { attachments } : {}),
      ...(headers ? { headers: headers as Record<string, string> } : {}),
      ...(categories ? { tags: categories as string[] } : {}),
      ...(customArgs ? { metadata: customArgs as Record<string, string> } : {}),
      ...(eventWebhookUrl ? { callbackUrl: eventWebhookUrl } : {}),
    };
  });
  const settings = isObject(body.mail_settings) ? body.mail_settings : {};
  const sandbox = isObject(settings.sandbox_mode) && settings.sandbox_mode.enable === true;
  return { bodies, sandbox, errors };
}

const ATTACHMENT_FIELDS: Record<string, string> = { contentType: 'type', contentId: 'content_id' };
const RECIPIENT_MESSAGE = /is not an email address/;

/**
 * A refusal of personalization `index`'s message, named as SendGrid names its fields
 * (`tags.0` is `categories.0`, `to.1.email` is `personalizations.0.to.1.email`…).
 */
export function sendgridIssue(issue: ValidationIssue, index: number, input: Json): SendgridErrorItem {
  const [head = '', ...rest] = issue.path.split('.');
  const tail = rest.length > 0 ? `.${rest.join('.')}` : '';
  const personalization = (list(input.personalizations)?.[index] ?? {}) as Json;
  const own = (field: string) => personalization[field] !== undefined;
  let field: string | null;
  let message = issue.message;
  switch (head) {
    case 'to':
    case 'cc':
    case 'bcc':
      field = `personalizations.${index}.${head}${tail}`;
      if (RECIPIENT_MESSAGE.test(message)) message = MESSAGES.address;
      break;
    case 'from':
      field = `${own('from') ? `personalizations.${index}.` : ''}from${tail}`;
      if (RECIPIENT_MESSAGE.test(message)) message = MESSAGES.fromEmail;
      break;
    case 'subject':
      field = own('subject') ? `personalizations.${index}.subject` : 'subject';
      break;
    case 'text':
    case 'html':
      field = 'content';
      break;
    case 'replyTo':
      field = input.reply_to !== undefined ? 'reply_to' : `reply_to_list${tail}`;
      break;
    case 'attachments': {
      const [position, name] = rest;
      field = `attachments.${position ?? ''}${name ? `.${ATTACHMENT_FIELDS[name] ?? name}` : ''}`;
      break;
    }
    case 'headers':
      field = `headers${tail}`;
      break;
    case 'tags':
      field = `categories${tail}`;
      break;
    case 'metadata':
      field = `custom_args${tail}`;
      break;
    default:
      field = null;
  }
  return { message, field, help: SENDGRID_HELP };
}
