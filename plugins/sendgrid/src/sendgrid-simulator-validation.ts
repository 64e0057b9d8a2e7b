import type { SendgridAddress, SendgridErrorItem, SendgridMailBody } from './sendgrid-api-types.js';

const HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';
const EMAIL_PATTERN = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

function isAddress(value: unknown): value is SendgridAddress {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SendgridAddress).email === 'string' &&
    EMAIL_PATTERN.test((value as SendgridAddress).email)
  );
}

/** Recipients of a valid body, per personalization. */
export function recipientsOf(body: SendgridMailBody): string[][] {
  return body.personalizations.map((entry) =>
    [...entry.to, ...(entry.cc ?? []), ...(entry.bcc ?? [])].map((address) => address.email),
  );
}

/**
 * Checks a mail send body the way SendGrid does, with its messages and field paths: from,
 * personalizations (1..1000, 1000 recipients in all, unique addresses in each), subject, content
 * (unless a template), attachments, categories.
 */
export function validateMailBody(input: unknown): SendgridErrorItem[] {
  const errors: SendgridErrorItem[] = [];
  const add = (field: string | null, message: string, anchor = '') =>
    errors.push({ message, field, help: `${HELP}${anchor}` });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    add(null, 'Bad Request');
    return errors;
  }
  const body = input as Partial<SendgridMailBody>;
  if (typeof body.from !== 'object' || body.from === null) {
    add(
      'from',
      'The from object must be provided for every email send. It is an object that requires an email parameter, but may also contain a name parameter.',
      '#message.from',
    );
  } else if (!isAddress(body.from)) {
    add('from.email', 'The from email does not contain a valid address.', '#message.from');
  }
  const personalizations = body.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    add(
      'personalizations',
      'The personalizations field is required and must have at least one personalization.',
      '#-Personalizations-Errors',
    );
  } else if (personalizations.length > 1000) {
    add('personalizations', 'You may not have more than 1000 personalizations per request.');
  } else {
    let total = 0;
    personalizations.forEach((entry, index) => {
      if (!Array.isArray(entry?.to) || entry.to.length === 0) {
        add(
          `personalizations.${index}.to`,
          'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
          '#message.personalizations.to',
        );
        return;
      }
      const seen = new Set<string>();
      for (const list of ['to', 'cc', 'bcc'] as const) {
        (entry[list] ?? []).forEach((address, position) => {
          total++;
          if (!isAddress(address)) {
            add(`personalizations.${index}.${list}.${position}.email`, 'Does not contain a valid address.');
            return;
          }
          const key = address.email.toLowerCase();
          if (seen.has(key)) {
            add(
              `personalizations.${index}.${list}`,
              `Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${address.email}] in the personalizations.${index}.${list} field.`,
            );
          }
          seen.add(key);
        });
      }
    });
    if (total > 1000) {
      add(
        'personalizations',
        'The total number of recipients must be no more than 1000. This includes all recipients defined within the to, cc, and bcc parameters, across each object that you include in the personalizations array.',
      );
    }
  }
  const templated = typeof body.template_id === 'string' && body.template_id.length > 0;
  const everyHasSubject =
    Array.isArray(personalizations) && personalizations.every((entry) => typeof entry?.subject === 'string');
  if (!templated && !everyHasSubject && (typeof body.subject !== 'string' || body.subject.length === 0)) {
    add(
      'subject',
      'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
      '#message.subject',
    );
  }
  if (!templated) {
    const content = body.content;
    const valid =
      Array.isArray(content) &&
      content.length > 0 &&
      content.every((part) => typeof part?.type === 'string' && typeof part.value === 'string' && part.value);
    if (!valid) {
      add(
        'content',
        'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
        '#message.content',
      );
    } else if (content.some((part, index) => part.type === 'text/plain' && index !== 0)) {
      add(
        'content',
        'If present, text/plain content must be first, followed by text/html, followed by any other content.',
        '#message.content',
      );
    }
  }
  if (body.reply_to && body.reply_to_list) {
    add('reply_to', 'The reply_to and reply_to_list properties are mutually exclusive.');
  }
  body.attachments?.forEach((attachment, index) => {
    if (typeof attachment?.content !== 'string' || !BASE64_PATTERN.test(attachment.content)) {
      add(
        `attachments.${index}.content`,
        'The attachment content must be base64 encoded.',
        '#message.attachments.content',
      );
    }
    if (typeof attachment?.filename !== 'string' || attachment.filename.length === 0) {
      add(
        `attachments.${index}.filename`,
        'The attachment filename parameter is required.',
        '#message.attachments.filename',
      );
    }
  });
  if (Array.isArray(body.categories) && body.categories.length > 10) {
    add('categories', 'You may not have more than 10 categories per request.', '#message.categories');
  }
  for (const [key, value] of Object.entries(body.custom_args ?? {})) {
    if (typeof value !== 'string') add(`custom_args.${key}`, 'Custom args values must be strings.');
  }
  return errors;
}
