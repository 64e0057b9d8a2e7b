import { ValidationError } from './errors.js';
import type { WebhookRequest } from './provider.js';

export interface WebhookFieldsOptions {
  /** Names the callback in a `ValidationError` (`Vonage delivery receipt`). */
  subject: string;
  /** Query parameters that are ours, not the provider's (a secret token), left out of a GET's fields. */
  exclude?: readonly string[];
}

/**
 * A callback's flat fields, however the provider sent them: a GET's query string, a JSON object
 * body (values as strings; null left out, empty strings kept, since a signature covers every field
 * sent) or a form body. Providers whose accounts choose the encoding (Vonage, Mitto) read all three
 * the same way. A JSON body that is not an object throws a `ValidationError`.
 */
export function readWebhookFields(
  request: WebhookRequest,
  options: WebhookFieldsOptions,
): Record<string, string> {
  const fields: Record<string, string> = {};
  if (request.method.toUpperCase() === 'GET') {
    for (const [name, value] of new URL(request.url, 'http://placeholder').searchParams) {
      if (!options.exclude?.includes(name)) fields[name] = value;
    }
    return fields;
  }
  const text = new TextDecoder().decode(request.rawBody);
  if (!(request.headers['content-type'] ?? '').includes('json')) {
    for (const [name, value] of new URLSearchParams(text)) fields[name] = value;
    return fields;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError([{ path: '', message: 'body is not valid JSON' }], {
      subject: options.subject,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError([{ path: '', message: 'body is not a JSON object' }], {
      subject: options.subject,
    });
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (value !== null && value !== undefined) fields[name] = String(value);
  }
  return fields;
}
