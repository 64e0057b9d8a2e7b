/**
 * A small multipart/form-data reader for the simulator. Node 20's `Response.formData()` reads the
 * same bodies but costs about half a millisecond each, which would make the simulator, not the
 * plugin, the bottleneck of a benchmark.
 */

const CRLF_CRLF = Buffer.from('\r\n\r\n');

function unescapeName(name: string): string {
  return name.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%22/g, '"');
}

function headerParameter(header: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header);
  return match ? unescapeName((match[1] as string).replace(/\\(.)/g, '$1')) : undefined;
}

/** Parts in order, as FormData (strings, and Files for parts with a filename); undefined when malformed. */
export function parseMultipart(body: Buffer, contentType: string): FormData | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const form = new FormData();
  let position = body.indexOf(delimiter);
  if (position < 0) return undefined;
  while (true) {
    position += delimiter.length;
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return form;
    const headersEnd = body.indexOf(CRLF_CRLF, position);
    const next = body.indexOf(delimiter, headersEnd);
    if (headersEnd < 0 || next < 0) return undefined;
    const headers = body.toString('latin1', position + 2, headersEnd);
    // The part's content ends with the CRLF that precedes the next delimiter.
    const content = body.subarray(headersEnd + 4, next - 2);
    const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
    const name = headerParameter(disposition, 'name');
    if (name === undefined) return undefined;
    const filename = headerParameter(disposition, 'filename');
    if (filename === undefined) {
      form.append(name, content.toString('utf8'));
    } else {
      const type = /^content-type:\s*(.*)$/im.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
      form.append(name, new File([content], filename, { type }));
    }
    position = next;
  }
}
