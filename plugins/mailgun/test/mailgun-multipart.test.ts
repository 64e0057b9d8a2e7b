import { describe, expect, it } from 'vitest';
import { encodeMultipart } from '../src/mailgun-multipart.js';
import { parseMultipart } from '../src/mailgun-simulator-multipart.js';

describe('encodeMultipart', () => {
  it('writes a body that a standard parser reads back field for field, files included', async () => {
    const form = new FormData();
    form.append('to', 'a@example.com');
    form.append('to', 'b@example.com');
    form.append('subject', 'Zoë says "hi"\r\nagain');
    form.append('attachment', new File([new Uint8Array([0, 13, 10, 255])], 'report "final".bin'));
    form.append('inline', new File(['<svg/>'], 'logo.svg', { type: 'image/svg+xml' }));
    form.append('h:X-Tag', 'last');
    const { body, contentType } = await encodeMultipart(form);
    const parsed = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    expect(parsed.getAll('to')).toEqual(['a@example.com', 'b@example.com']);
    expect(parsed.get('subject')).toBe('Zoë says "hi"\r\nagain');
    const attachment = parsed.get('attachment') as File;
    expect(attachment.name).toBe('report "final".bin');
    expect(attachment.type).toBe('application/octet-stream');
    expect(new Uint8Array(await attachment.arrayBuffer())).toEqual(new Uint8Array([0, 13, 10, 255]));
    expect((parsed.get('inline') as File).type).toBe('image/svg+xml');
    expect(parsed.get('h:X-Tag')).toBe('last');
  });

  it('uses a new boundary for every body', async () => {
    const first = await encodeMultipart(new FormData());
    const second = await encodeMultipart(new FormData());
    expect(first.contentType).not.toBe(second.contentType);
  });

  it("is read back by the simulator's parser exactly as by the standard one", async () => {
    const form = new FormData();
    form.append('subject', 'Zoë "quoted"\r\nline');
    form.append('na"me', 'value');
    form.append(
      'attachment',
      new File([new Uint8Array([45, 45, 13, 10])], 'a\nb "c".txt', { type: 'text/plain' }),
    );
    const { body, contentType } = await encodeMultipart(form);
    const standard = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const simulator = parseMultipart(body, contentType)!;
    const entries = async (data: FormData) =>
      Promise.all(
        [...data].map(async ([name, value]) =>
          typeof value === 'string'
            ? [name, value]
            : [name, value.name, value.type, [...new Uint8Array(await value.arrayBuffer())]],
        ),
      );
    expect(await entries(simulator)).toEqual(await entries(standard));
    expect(parseMultipart(Buffer.from('garbage'), contentType)).toBeUndefined();
  });
});
