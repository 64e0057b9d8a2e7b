import {
  type BounceReport,
  type DeliveryStatusReport,
  DSN_ACTIONS,
  type DsnAction,
  type DsnRecipient,
} from './smtp-api-types.js';
import { header, type MimePart, parseHeaderBlock, parseMime, walkParts } from './smtp-mime.js';

/** xtext (RFC 3461) back to text: `+HH` is a byte in hex. */
export function decodeXtext(value: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < value.length; index++) {
    const hex = value.slice(index + 1, index + 3);
    if (value[index] === '+' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(value.charCodeAt(index) & 0xff);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `rfc822; user@example.com` -> `user@example.com`. */
function withoutAddressType(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semicolon = value.indexOf(';');
  return (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim() || undefined;
}

function date(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** The `message/delivery-status` body: a per-message block, then one block per recipient. */
export function parseDeliveryStatus(body: string): DeliveryStatusReport {
  const blocks = body
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0)
    .map(parseHeaderBlock);
  const [perMessage, ...perRecipient] = blocks;
  const recipients: DsnRecipient[] = [];
  for (const fields of perRecipient) {
    const action = header(fields, 'action')?.toLowerCase();
    const finalRecipient = withoutAddressType(header(fields, 'final-recipient'));
    if (!finalRecipient || !DSN_ACTIONS.includes(action as DsnAction)) continue;
    recipients.push({
      finalRecipient,
      originalRecipient: withoutAddressType(header(fields, 'original-recipient')),
      action: action as DsnAction,
      status: (header(fields, 'status') ?? '').split(/\s/)[0] ?? '',
      diagnosticCode: withoutAddressType(header(fields, 'diagnostic-code')),
      remoteMta: withoutAddressType(header(fields, 'remote-mta')),
      lastAttemptDate: date(header(fields, 'last-attempt-date')),
    });
  }
  const envelopeId = perMessage ? header(perMessage, 'original-envelope-id') : undefined;
  return {
    reportingMta: perMessage ? withoutAddressType(header(perMessage, 'reporting-mta')) : undefined,
    originalEnvelopeId: envelopeId ? decodeXtext(envelopeId) : undefined,
    arrivalDate: perMessage ? date(header(perMessage, 'arrival-date')) : undefined,
    recipients,
  };
}

const MESSAGE_ID_LINE = /^Message-ID:[ \t]*(<[^>\r\n]+>)/im;

/** The Message-ID of the returned message: its header part, its whole copy, or quoted in a text. */
function originalMessageId(root: MimePart, parts: MimePart[]): string | undefined {
  for (const part of parts) {
    if (part.contentType === 'text/rfc822-headers' || part.contentType === 'text/rfc822-header') {
      const found = header(parseHeaderBlock(part.body), 'message-id');
      if (found) return found;
    }
    if (part.contentType === 'message/rfc822' || part.contentType === 'message/global') {
      const found = header(parseMime(part.body).headers, 'message-id');
      if (found) return found;
    }
  }
  // Bounces without DSN framing often quote the original headers in the text.
  const bodies = root.parts.length > 0 ? parts.slice(1) : [root];
  for (const part of bodies) {
    const found = MESSAGE_ID_LINE.exec(part.body)?.[1];
    if (found) return found;
  }
  return undefined;
}

/** Reads a bounce mail: an RFC 3464 report when it is one, else whatever a plain bounce gives. */
export function parseBounce(raw: Uint8Array): BounceReport {
  const root = parseMime(Buffer.from(raw).toString('latin1'));
  const parts = walkParts(root);
  const statusPart = parts.find(
    (part) =>
      part.contentType === 'message/delivery-status' || part.contentType === 'message/global-delivery-status',
  );
  const text = parts.find((part) => part.contentType === 'text/plain' && part.parts.length === 0);
  return {
    originalMessageId: originalMessageId(root, parts),
    deliveryStatus: statusPart ? parseDeliveryStatus(statusPart.body) : undefined,
    date: date(header(root.headers, 'date')),
    text: text?.body
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .join(' ')
      .slice(0, 500),
  };
}
