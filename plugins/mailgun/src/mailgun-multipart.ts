import { randomBytes } from 'node:crypto';

/** Quotes and line breaks in a part's name or file name, escaped as browsers do (WHATWG). */
function escapeName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

/** One random prefix per process and a counter: unguessable by message content, no entropy per request. */
const boundaryPrefix = `----msg-mailgun-${randomBytes(12).toString('hex')}-`;
let boundaryCount = 0;

/**
 * A FormData as one multipart/form-data buffer. undici 7 cannot stream Node 20's built-in
 * FormData (two undici copies), and one buffer with a known length is also the cheapest body.
 */
export async function encodeMultipart(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const boundary = `${boundaryPrefix}${(++boundaryCount).toString(36)}`;
  const chunks: Buffer[] = [];
  let text = '';
  for (const [name, value] of form) {
    if (typeof value === 'string') {
      text += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n${value}\r\n`;
      continue;
    }
    const type = value.type || 'application/octet-stream';
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"; filename="${escapeName(value.name)}"\r\nContent-Type: ${type}\r\n\r\n`;
    chunks.push(Buffer.from(text), Buffer.from(await value.arrayBuffer()));
    text = '\r\n';
  }
  chunks.push(Buffer.from(`${text}--${boundary}--\r\n`));
  return {
    body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
