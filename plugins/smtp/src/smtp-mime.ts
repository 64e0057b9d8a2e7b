/**
 * Just enough MIME to read bounce reports: header blocks (unfolded, case-insensitive names),
 * multipart splitting by boundary, and the base64 / quoted-printable transfer encodings.
 * (mailparser folds `message/delivery-status` into the message text, so it cannot be used to
 * pick that part out.)
 */

export interface MimePart {
  /** Lower-case header name -> values, in order. */
  headers: Map<string, string[]>;
  /** `type/subtype`, lower-case; `text/plain` when absent. */
  contentType: string;
  parameters: Record<string, string>;
  /** The decoded body (latin1 for binary-safe handling of 8-bit bytes). */
  body: string;
  parts: MimePart[];
}

const MAX_DEPTH = 8;

/** Splits `head\r\n\r\nbody` into the header block and the body. */
function splitHeaderBlock(text: string): [string, string] {
  const match = /\r?\n\r?\n/.exec(text);
  if (!match) return [text, ''];
  return [text.slice(0, match.index), text.slice(match.index + match[0].length)];
}

/** Parses a header block; continuation lines (starting with white space) are unfolded. */
export function parseHeaderBlock(block: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let current: [string, string] | undefined;
  const flush = () => {
    if (!current) return;
    const [name, value] = current;
    headers.set(name, [...(headers.get(name) ?? []), value.trim()]);
  };
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current) {
      current[1] += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    current = colon > 0 ? [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1)] : undefined;
  }
  flush();
  return headers;
}

export function header(headers: Map<string, string[]>, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}

/** `type/subtype; key=value; key="quoted"` -> type and parameters. */
export function parseContentType(value: string | undefined): {
  type: string;
  parameters: Record<string, string>;
} {
  if (!value) return { type: 'text/plain', parameters: {} };
  const [type = '', ...rest] = value.split(';');
  const parameters: Record<string, string> = {};
  for (const item of rest) {
    const equals = item.indexOf('=');
    if (equals < 0) continue;
    const key = item.slice(0, equals).trim().toLowerCase();
    parameters[key] = item
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase() || 'text/plain', parameters };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch (encoding?.trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1');
    case 'quoted-printable':
      return body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    default:
      return body;
  }
}

/** Parses a whole message (or a part of one) into its MIME tree. */
export function parseMime(text: string, depth = 0): MimePart {
  const [block, rawBody] = splitHeaderBlock(text);
  const headers = parseHeaderBlock(block);
  const { type, parameters } = parseContentType(header(headers, 'content-type'));
  const body = decodeBody(rawBody, header(headers, 'content-transfer-encoding'));
  const part: MimePart = { headers, contentType: type, parameters, body, parts: [] };
  const boundary = parameters.boundary;
  if (type.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    const delimiter = `--${boundary}`;
    const sections = rawBody.split(new RegExp(`\\r?\\n?${escapeRegExp(delimiter)}(?:--)?[ \\t]*\\r?\\n?`));
    // The first section is the preamble; the last is the epilogue unless the closing delimiter
    // is missing (a truncated report), when it is the last part.
    const closed = rawBody.includes(`${delimiter}--`);
    for (const section of sections.slice(1, closed ? -1 : undefined)) {
      part.parts.push(parseMime(section, depth + 1));
    }
  }
  return part;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every part of the tree, depth first, the root included. */
export function walkParts(root: MimePart): MimePart[] {
  return [root, ...root.parts.flatMap(walkParts)];
}
