import { randomBytes } from 'node:crypto';
import type { EmailAddress, EmailAttachment, EmailMessage } from '@msg/core';

const CRLF = '\r\n';
/** Printable ASCII without specials that force quoting a phrase (RFC 5322 atext plus space). */
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Bytes per RFC 2047 word: 45 bytes make 60 base64 characters, within the 75-character limit. */
const ENCODED_WORD_BYTES = 45;

/** Headers the builder writes itself; a custom header may not replace them. */
export const STRUCTURAL_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
  'content-id',
]);

/** RFC 2047 B-encoded words for text that is not plain ASCII, split between whole characters. */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk: Buffer[] = [];
  let size = 0;
  for (const character of text) {
    const bytes = Buffer.from(character, 'utf8');
    if (size + bytes.length > ENCODED_WORD_BYTES) {
      words.push(`=?UTF-8?B?${Buffer.concat(chunk).toString('base64')}?=`);
      chunk = [];
      size = 0;
    }
    chunk.push(bytes);
    size += bytes.length;
  }
  if (size > 0) words.push(`=?UTF-8?B?${Buffer.concat(chunk).toString('base64')}?=`);
  // Folding whitespace between encoded words is dropped by decoders (RFC 2047 section 6.2).
  return words.join(`${CRLF} `);
}

/** An unstructured header value (Subject): as is when short plain ASCII, encoded words otherwise. */
export function encodeHeaderText(text: string): string {
  return PRINTABLE_ASCII.test(text) && text.length <= 900 ? text : encodeWords(text);
}

/** `Name <email>` with the display name quoted or encoded as needed; SES wants 7-bit headers. */
export function formatMimeAddress(address: EmailAddress): string {
  if (!address.name) return address.email;
  if (PLAIN_PHRASE.test(address.name)) return `${address.name} <${address.email}>`;
  if (PRINTABLE_ASCII.test(address.name)) {
    return `"${address.name.replace(/["\\]/g, '\\$&')}" <${address.email}>`;
  }
  return `${encodeWords(address.name)} <${address.email}>`;
}

/** Base64 in lines of 76 characters (RFC 2045 section 6.8). */
export function base64Lines(content: Uint8Array | string): string {
  const encoded = Buffer.from(content as Uint8Array).toString('base64');
  const lines: string[] = [];
  for (let index = 0; index < encoded.length; index += 76) lines.push(encoded.slice(index, index + 76));
  return lines.join(CRLF);
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** `filename="x.pdf"`, or RFC 2231 `filename*=UTF-8''...` when the name is not plain ASCII. */
function fileParameter(name: string, value: string): string {
  if (PRINTABLE_ASCII.test(value)) return `${name}=${quoted(value)}`;
  const encoded = encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${name}*=UTF-8''${encoded}`;
}

function boundary(): string {
  return `=_msg_${randomBytes(12).toString('hex')}`;
}

interface Part {
  headers: string[];
  body: string;
}

function textPart(subtype: 'plain' | 'html', content: string): Part {
  return {
    headers: [`Content-Type: text/${subtype}; charset=UTF-8`, 'Content-Transfer-Encoding: base64'],
    body: base64Lines(Buffer.from(content, 'utf8')),
  };
}

function attachmentPart(attachment: EmailAttachment, disposition: 'attachment' | 'inline'): Part {
  const headers = [
    `Content-Type: ${attachment.contentType}; ${fileParameter('name', attachment.filename)}`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: ${disposition}; ${fileParameter('filename', attachment.filename)}`,
  ];
  if (attachment.contentId) headers.push(`Content-ID: <${attachment.contentId.replace(/^<|>$/g, '')}>`);
  return { headers, body: base64Lines(attachment.content) };
}

function multipart(subtype: 'mixed' | 'alternative' | 'related', parts: Part[]): Part {
  if (parts.length === 1) return parts[0] as Part;
  const separator = boundary();
  const body = parts
    .map((part) => `--${separator}${CRLF}${part.headers.join(CRLF)}${CRLF}${CRLF}${part.body}${CRLF}`)
    .join('');
  return {
    headers: [`Content-Type: multipart/${subtype}; boundary="${separator}"`],
    body: `${body}--${separator}--`,
  };
}

/**
 * The MIME tree: mixed[ alternative[ text, related[ html, inline parts ] ], attachments ].
 * Levels with one child collapse, so a text-only mail with one attachment is mixed[text, file].
 */
function bodyPart(message: EmailMessage): Part {
  const attachments = message.attachments ?? [];
  const inline = attachments.filter((attachment) => attachment.contentId);
  const regular = attachments.filter((attachment) => !attachment.contentId);
  const alternatives: Part[] = [];
  if (message.text) alternatives.push(textPart('plain', message.text));
  if (message.html) {
    const related = inline.map((attachment) => attachmentPart(attachment, 'inline'));
    alternatives.push(multipart('related', [textPart('html', message.html), ...related]));
  } else {
    // Without HTML nothing references a cid: part; carry it as an inline attachment.
    for (const attachment of inline) regular.unshift(attachment);
  }
  const files = regular.map((attachment) =>
    attachmentPart(attachment, attachment.contentId ? 'inline' : 'attachment'),
  );
  return multipart('mixed', [multipart('alternative', alternatives), ...files]);
}

export interface RawMessageOptions {
  date: Date;
}

/**
 * A complete RFC 5322 message with CRLF line endings. Bcc is left out of the headers: SES takes
 * the envelope recipients from the request's Destination.
 */
export function buildRawMessage(message: EmailMessage, options: RawMessageOptions): Buffer {
  const headers = [
    `From: ${formatMimeAddress(message.from)}`,
    `To: ${message.to.map(formatMimeAddress).join(`,${CRLF} `)}`,
  ];
  if (message.cc?.length) headers.push(`Cc: ${message.cc.map(formatMimeAddress).join(`,${CRLF} `)}`);
  if (message.replyTo?.length) {
    headers.push(`Reply-To: ${message.replyTo.map(formatMimeAddress).join(`,${CRLF} `)}`);
  }
  headers.push(`Subject: ${encodeHeaderText(message.subject)}`);
  headers.push(`Date: ${options.date.toUTCString().replace('GMT', '+0000')}`);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers.push(`${name}: ${encodeHeaderText(value)}`);
  }
  headers.push('MIME-Version: 1.0');
  const body = bodyPart(message);
  return Buffer.from(`${[...headers, ...body.headers].join(CRLF)}${CRLF}${CRLF}${body.body}${CRLF}`, 'utf8');
}
