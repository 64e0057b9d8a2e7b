import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../src/container.js';
import { startGateway, type TestGateway } from './helpers.js';

/** The documented error shape, and nothing else. */
function expectErrorShape(body: unknown, code: string): void {
  expect(body).toEqual({
    error: {
      code,
      message: expect.any(String),
      ...(code === 'invalid_request' ? { issues: expect.any(Array) } : {}),
    },
  });
}

/** Writes raw bytes and returns the raw answer: for requests an HTTP client would refuse to send. */
function rawRequest(url: string, text: string): Promise<{ status: number; body: unknown }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(Number(port), hostname, () => socket.write(text));
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
    });
  });
}

describe('bad input at the API', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      plugins: [
        { resolve: '@msg/plugin-console', id: 'console', options: { silent: true } },
        { resolve: '@msg/plugin-console', id: 'mail', options: { silent: true, channel: 'email' } },
      ],
    });
  });
  afterAll(async () => {
    // Nothing any test here sent was stored.
    const store = gateway.gateway.container.get(Tokens.MessageStore);
    expect(await store.countByDispatchState()).toEqual({ queued: 0, 'in-flight': 0, waiting: 0, done: 0 });
    await gateway?.stop();
  });

  const email = {
    from: { email: 'app@example.com', name: 'App' },
    to: 'ada@example.com',
    subject: 'Hi',
    text: 'hello',
  };

  async function refused(body: Record<string, unknown>): Promise<string[]> {
    const response = await gateway.call('POST', '/v1/messages', { body });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expectErrorShape(response.body, 'invalid_request');
    return response.body.error.issues.map((issue: { path: string }) => issue.path);
  }

  describe('text that cannot be encoded (a lone surrogate) is a 400 naming the field', () => {
    const lone = 'x \ud800 y';
    it.each([
      ['SMS text', { to: '+260971234567', text: lone }, 'text'],
      ['tags', { to: '+260971234567', text: 'ok', tags: [lone] }, 'tags.0'],
      ['metadata', { to: '+260971234567', text: 'ok', metadata: { order: lone } }, 'metadata.order'],
      ['email subject', { ...email, subject: lone }, 'subject'],
      ['email text', { ...email, text: lone }, 'text'],
      ['email html', { ...email, html: lone }, 'html'],
      ['sender name', { ...email, from: { email: 'app@example.com', name: lone } }, 'from.name'],
      ['recipient name', { ...email, to: [{ email: 'ada@example.com', name: lone }] }, 'to.0.name'],
      ['custom header', { ...email, headers: { 'X-Campaign': lone } }, 'headers.X-Campaign'],
      [
        'attachment filename',
        { ...email, attachments: [{ filename: lone, contentType: 'text/plain', content: 'aGk=' }] },
        'attachments.0.filename',
      ],
      [
        'callback URL',
        { to: '+260971234567', text: 'ok', callbackUrl: `https://example.com/${lone}` },
        'callbackUrl',
      ],
    ])('%s', async (_field, body, path) => {
      expect(await refused(body)).toEqual([path]);
    });
  });

  it('refuses line breaks and NUL in header material, and structural custom headers, before the 202', async () => {
    const attachment = { filename: 'a.txt', contentType: 'text/plain', content: 'aGk=' };
    expect(
      await refused({
        ...email,
        attachments: [
          { ...attachment, contentType: 'text/plain\r\nBcc: victim@example.com' },
          { ...attachment, contentId: 'logo\r\nX-Injected: 1' },
          { ...attachment, filename: 'a.txt\u0000.exe' },
        ],
      }),
    ).toEqual(['attachments.0.contentType', 'attachments.1.contentId', 'attachments.2.filename']);
    expect(await refused({ ...email, headers: { 'X-Note': 'a\r\nBcc: victim@example.com' } })).toEqual([
      'headers.X-Note',
    ]);
    expect(
      await refused({ ...email, from: { email: 'app@example.com', name: 'App\r\nBcc: v@example.com' } }),
    ).toEqual(['from.name']);
    expect(
      await refused({
        ...email,
        headers: { Bcc: 'v@example.com', From: 'x@example.com', 'Content-Type': 'text/html' },
      }),
    ).toEqual(['headers.Bcc', 'headers.From', 'headers.Content-Type']);
  });

  it.each([
    ['a trailing statement', '+260971234567;DROP TABLE messages'],
    ['full-width digits', '+２６０９７１２３４５６７'],
    ['a trailing NUL', '+260971234567\u0000'],
    ['two numbers', '+260971234567, +260971234568'],
    ['an extension', '+260971234567;ext=12'],
    ['a trailing comma', '+260971234567,'],
  ])('refuses an SMS recipient with %s: a recipient is exactly one number', async (_what, to) => {
    expect(await refused({ to, text: 'x' })).toEqual(['to']);
  });

  it('caps email recipients at 50, to included, and to, cc and bcc together', async () => {
    const addresses = (count: number, prefix: string) =>
      Array.from({ length: count }, (_, index) => `${prefix}${index}@example.com`);
    expect(await refused({ ...email, to: addresses(51, 'to') })).toEqual(['to']);
    expect(
      await refused({ ...email, to: addresses(30, 'to'), cc: addresses(15, 'cc'), bcc: addresses(6, 'bcc') }),
    ).toEqual(['bcc']);
  });
});

describe('every error path answers { error: { code, message } }', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      plugins: [{ resolve: '@msg/plugin-console', id: 'console', options: { silent: true } }],
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it.each([
    ['a malformed percent-encoding', 'GET', '/v1/messages/%', 400, 'malformed_url'],
    ['an invalid UTF-8 escape', 'GET', '/v1/messages/%C0%AF', 400, 'malformed_url'],
    ['a path segment over the length limit', 'GET', `/v1/messages/${'a'.repeat(300)}`, 414, 'uri_too_long'],
    ['an unknown path', 'GET', '/v1/nothing-here', 404, 'not_found'],
    ['a bad query string', 'GET', '/v1/providers?check=maybe', 400, 'invalid_request'],
    ['an unknown query field', 'GET', '/v1/providers?%=1', 400, 'invalid_request'],
  ] as const)('%s', async (_what, method, path, status, code) => {
    const response = await gateway.call(method, path);
    expect(response.status).toBe(status);
    expectErrorShape(response.body, code);
  });

  it('answers 405 with Allow for a known path and a method it does not take', async () => {
    const patch = await gateway.call('PATCH', '/v1/messages');
    expect(patch.status).toBe(405);
    // GET lists the recent messages to a recipient.
    expect(patch.headers.allow).toBe('GET, HEAD, POST');
    expectErrorShape(patch.body, 'method_not_allowed');
    const remove = await gateway.call('DELETE', '/v1/messages/msg_123');
    expect(remove.status).toBe(405);
    expect(remove.headers.allow).toBe('GET, HEAD');
  });

  it('answers 415 for a body that is not JSON, text/plain included', async () => {
    for (const contentType of ['text/plain', 'application/xml']) {
      const response = await gateway.call('POST', '/v1/messages', {
        raw: '{"to":"+260971234567","text":"x"}',
        headers: { 'content-type': contentType },
      });
      expect(response.status, contentType).toBe(415);
      expectErrorShape(response.body, 'unsupported_media_type');
    }
  });

  it('answers in the documented shape what Node refuses before routing: an over-long URL, an unknown method, garbage', async () => {
    const long = await rawRequest(gateway.url, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(long.status).toBe(431);
    expectErrorShape(long.body, 'headers_too_large');
    const unknown = await rawRequest(gateway.url, 'BREW /v1/messages HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(unknown.status).toBe(400);
    expectErrorShape(unknown.body, 'bad_request');
    const garbage = await rawRequest(gateway.url, 'hello\r\n\r\n');
    expect(garbage.status).toBe(400);
    expectErrorShape(garbage.body, 'bad_request');
  });
});
