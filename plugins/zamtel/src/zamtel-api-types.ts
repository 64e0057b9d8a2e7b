/**
 * Zamtel's bulk SMS HTTP API, as seen in public integrations (there is no official specification):
 * everything travels in the path, the API key included, and the answer is JSON with a boolean
 * `success` and a `responseText` (`{"success":true,"responseText":"SMS(es) have been queued for
 * delivery"}`). The `message` and `data` fields below are inferred: read when present, never required.
 */
export const ZAMTEL_BASE_URL = 'https://bulksms.zamtel.co.zm';
export const SEND_PATH = '/api/v2.1/action/send';

export interface ZamtelAnswer {
  success?: unknown;
  responseText?: unknown;
  message?: unknown;
  data?: { batchId?: unknown; contacts?: unknown; segments?: unknown; balance?: unknown } | null;
}

const ZAMBIAN_NUMBER = /^\+?260(\d{9})$/;

/** `+260955123456` -> `260955123456`; undefined for a number Zamtel's API does not take. */
export function zamtelContact(number: string): string | undefined {
  const match = ZAMBIAN_NUMBER.exec(number.replace(/[\s-]/g, ''));
  return match ? `260${match[1]}` : undefined;
}

/** `260...` for one recipient, `[260...,260...]` for several. */
export function contactsSegment(contacts: readonly string[]): string {
  return contacts.length === 1 ? (contacts[0] as string) : `[${contacts.join(',')}]`;
}

/** The send path: key, contacts, sender id and message, each URL-encoded (brackets and commas kept). */
export function sendPath(
  prefix: string,
  apiKey: string,
  contacts: readonly string[],
  senderId: string,
  text: string,
): string {
  return (
    `${prefix}${SEND_PATH}/api_key/${encodeURIComponent(apiKey)}` +
    `/contacts/${contactsSegment(contacts)}` +
    `/senderId/${encodeURIComponent(senderId)}/message/${encodeURIComponent(text)}`
  );
}

/**
 * A send path fit for errors and logs: the key becomes `***` and the message its length (it is
 * the recipient's content, not ours to log).
 */
export function redactPath(path: string): string {
  return path
    .replace(/\/api_key\/[^/]*/, '/api_key/***')
    .replace(/\/message\/([^/]*)$/, (_, text: string) => `/message/<${text.length} octets>`);
}
