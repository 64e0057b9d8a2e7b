/**
 * A small MIME reader for the simulator: enough to read back what a client sent as Raw content
 * (headers, RFC 2047 words, RFC 2231 file names, nested multiparts, base64 and
 * quoted-printable) and to list what breaks the rules SES enforces (bare LF, long lines).
 */

export interface MimePart {
  /** Lower-case name to unfolded value, in order; repeated headers keep every value. */
  headers: Array<[string, string]>;
  /** `type/subtype`, lower case. */
  contentType: string;
  parameters: Record<string, string>;
  disposition: string | undefined;
  filename: string | undefined;
  contentId: string | undefined;
  /** Decoded bytes (empty for a multipart). */
  body: Buffer;
  parts: MimePart[];
}

const ENCODED_WORD = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;

function decodeQ(text: string): Buffer {
  return Buffer.from(
    text
      .replace(/_/g, ' ')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
}

/** Decodes RFC 2047 encoded words; whitespace between two words disappears. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(ENCODED_WORD, (_, charset: string, encoding: string, text: string) => {
      const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQ(text);
      return charset.toLowerCase() === 'utf-8' ? bytes.toString('utf8') : bytes.toString('latin1');
    });
}

function decodeQuotedPrintable(text: string): Buffer {
  const joined = text.replace(/=\r\n/g, '');
  return Buffer.from(
    joined.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
}

/** `value; name=x; name="y"; name*=UTF-8''z` into the value and its parameters. */
function parameterized(header: string | undefined): { value: string; parameters: Record<string, string> } {
  if (!header) return { value: '', parameters: {} };
  const [value = '', ...rest] = header.match(/(?:[^;"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  const parameters: Record<string, string> = {};
  for (const item of rest) {
    const match = /^\s*([^=\s*]+)(\*?)\s*=\s*(.*?)\s*$/.exec(item);
    if (!match) continue;
    const [, name = '', extended, raw = ''] = match;
    let text = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    if (extended) text = decodeURIComponent(text.replace(/^[^']*'[^']*'/, ''));
    parameters[name.toLowerCase()] = decodeEncodedWords(text);
  }
  return { value: value.trim().toLowerCase(), parameters };
}

/** Splits a part (a latin1 string, so bytes survive) into its headers and body. */
function parsePart(source: string): MimePart {
  const end = source.indexOf('\r\n\r\n');
  const head = end === -1 ? source : source.slice(0, end);
  const content = end === -1 ? '' : source.slice(end + 4);
  const headers: Array<[string, string]> = [];
  for (const line of head.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const header = (name: string) => headers.find(([key]) => key === name)?.[1];
  const type = parameterized(header('content-type') ?? 'text/plain; charset=us-ascii');
  const disposition = parameterized(header('content-disposition'));
  const part: MimePart = {
    headers,
    contentType: type.value,
    parameters: type.parameters,
    disposition: disposition.value || undefined,
    filename: disposition.parameters.filename ?? type.parameters.name,
    contentId: header('content-id')?.replace(/^<|>$/g, ''),
    body: Buffer.alloc(0),
    parts: [],
  };
  const boundary = type.parameters.boundary;
  if (type.value.startsWith('multipart/') && boundary) {
    const chunks = `\r\n${content}`.split(`\r\n--${boundary}`);
    for (const chunk of chunks.slice(1)) {
      if (chunk.startsWith('--')) break;
      part.parts.push(parsePart(chunk.replace(/^[ \t]*\r\n/, '')));
    }
    return part;
  }
  const encoding = (header('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') part.body = Buffer.from(content.replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') part.body = decodeQuotedPrintable(content);
  else part.body = Buffer.from(content, 'latin1');
  return part;
}

export function parseMime(raw: Uint8Array): MimePart {
  return parsePart(Buffer.from(raw).toString('latin1'));
}

/** Rules SES and RFC 5322 set that a raw message breaks, as readable notes. */
export function mimeProblems(raw: Uint8Array): string[] {
  const text = Buffer.from(raw).toString('latin1');
  const problems: string[] = [];
  if (/(^|[^\r])\n/.test(text)) problems.push('bare LF line ending');
  if (/\r(?!\n)/.test(text)) problems.push('bare CR');
  if (text.split('\r\n').some((line) => line.length > 998)) problems.push('line longer than 998 characters');
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  if ([...head].some((character) => character.charCodeAt(0) > 0x7f))
    problems.push('8-bit characters in headers');
  return problems;
}

/** Every leaf part, depth first. */
export function leafParts(part: MimePart): MimePart[] {
  return part.parts.length === 0 ? [part] : part.parts.flatMap(leafParts);
}
