import { jsonResponse, type SimulatorResponse } from '@msg/testing';

const EMAIL = /^[^\s@<>",]+@[^\s@<>",]+\.[^\s@<>",]+$/;

/** `a@x.com, "B, Jr" <b@x.com>` -> the bare addresses (undefined for one that is not an address). */
export function parseAddressList(value: string): Array<string | undefined> {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const character of value) {
    if (character === '"') quoted = !quoted;
    if (character === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  parts.push(current);
  return parts
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const address = /<([^>]*)>\s*$/.exec(part)?.[1]?.trim() ?? part;
      return EMAIL.test(address) ? address : undefined;
    });
}

/** Recipients (to + cc + bcc) Mailgun takes in one call. */
export const MESSAGE_LIMIT = 1000;
export const bad = (message: string) => jsonResponse(400, { message });

/** Mailgun's checks of a send, with its answers. */
export function validate(form: FormData): SimulatorResponse | undefined {
  const value = (name: string) =>
    form.getAll(name).filter((item) => typeof item === 'string' && item.length > 0);
  if (value('from').length === 0) return bad("'from' parameter is missing");
  if (parseAddressList(String(value('from')[0])).some((address) => !address)) {
    return bad("'from' parameter is not a valid address. please check documentation");
  }
  if (value('to').length === 0) return bad("'to' parameter is missing");
  for (const field of ['to', 'cc', 'bcc']) {
    if (value(field).some((item) => parseAddressList(String(item)).some((address) => !address))) {
      return bad(`'${field}' parameter is not a valid address. please check documentation`);
    }
  }
  if (value('subject').length === 0) return bad("'subject' parameter is missing");
  if (['text', 'html', 'amp-html', 'template'].every((field) => value(field).length === 0)) {
    return bad("Need at least one of 'text', 'html' or 'template' parameters specified");
  }
  const variables = form.get('recipient-variables');
  if (typeof variables === 'string') {
    try {
      JSON.parse(variables);
    } catch {
      return bad("'recipient-variables' parameter is not a valid JSON");
    }
  }
  return undefined;
}
