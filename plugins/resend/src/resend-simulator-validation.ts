import type { ResendEmailBody } from './resend-api-types.js';

const ADDRESS = /^(?:[^<>]*<\s*([^\s@<>]+@[^\s@<>]+)\s*>|([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+))$/;

export function addresses(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value as string[];
  return undefined;
}

export function bareAddress(value: string): string | undefined {
  const match = ADDRESS.exec(value.trim());
  return match?.[1] ?? match?.[2];
}

/** Resend's checks of one email; the message of the first problem, or undefined. */
export function problemOf(
  body: ResendEmailBody,
  batch: boolean,
): { name: string; message: string } | undefined {
  if (typeof body !== 'object' || body === null)
    return { name: 'validation_error', message: 'Invalid email object.' };
  for (const field of ['from', 'to', 'subject'] as const) {
    if (body[field] === undefined)
      return { name: 'missing_required_field', message: `Missing \`${field}\` field.` };
  }
  if (typeof body.from !== 'string' || !bareAddress(body.from)) {
    return {
      name: 'validation_error',
      message:
        'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
    };
  }
  for (const field of ['to', 'cc', 'bcc', 'reply_to'] as const) {
    if (body[field] === undefined) continue;
    const list = addresses(body[field]);
    if (!list || list.length === 0 || list.some((entry) => !bareAddress(entry))) {
      return {
        name: 'validation_error',
        message: `Invalid \`${field}\` field. The email address needs to follow the \`email@example.com\` or \`Name <email@example.com>\` format.`,
      };
    }
    if (field === 'to' && list.length > 50)
      return { name: 'validation_error', message: 'Too many recipients in `to`: the maximum is 50.' };
  }
  if (body.html === undefined && body.text === undefined && body.template === undefined) {
    return { name: 'validation_error', message: 'Missing `html` or `text` field.' };
  }
  if (batch && body.attachments !== undefined)
    return { name: 'validation_error', message: 'Attachments are not supported in batch emails.' };
  if (batch && body.scheduled_at !== undefined)
    return { name: 'validation_error', message: 'Scheduling is not supported in batch emails.' };
  if (Array.isArray(body.tags)) {
    for (const tag of body.tags as Array<{ name?: unknown; value?: unknown }>) {
      if (
        typeof tag?.name !== 'string' ||
        !/^[A-Za-z0-9_-]{1,256}$/.test(tag.name) ||
        (tag.value !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(String(tag.value)))
      ) {
        return {
          name: 'validation_error',
          message:
            'Tags should only contain ASCII letters (a–z, A–Z), numbers (0–9), underscores (_), or dashes (-).',
        };
      }
    }
  }
  return undefined;
}
