import { ProviderError } from '@msg/core';
import { rejectionOf, waitFor } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmtpPluginOptions } from '../src/index.js';
import { createSmtpSimulator } from '../src/simulator.js';
import { email, makeProvider, optionsFor, type SmtpTestProvider, signal } from './helpers.js';

const simulator = createSmtpSimulator();
const providers: SmtpTestProvider[] = [];
const make = async (overrides: Partial<SmtpPluginOptions> = {}) => {
  const provider = await makeProvider(optionsFor(simulator, simulator.account(), overrides));
  providers.push(provider);
  return provider;
};

beforeAll(() => simulator.start());
afterEach(() => simulator.reset());
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

const rawOf = (index = -1) => simulator.mailbox.at(index)?.raw.toString('utf8') ?? '';

describe('send', () => {
  it('authenticates after STARTTLS and sends the message with our Message-ID and DSN request', async () => {
    const provider = await make();
    const result = await provider.send(
      email('order-42', {
        cc: [{ email: 'cc@example.com' }],
        bcc: [{ email: 'hidden@example.com' }],
        replyTo: [{ email: 'reply@example.com', name: 'Reply' }],
        html: '<p>Html body</p>',
        headers: { 'X-Campaign': 'spring' },
        attachments: [
          { filename: 'a.txt', contentType: 'text/plain', content: new TextEncoder().encode('hi') },
        ],
      }),
      { signal: signal() },
    );
    expect(result).toMatchObject({ providerMessageId: 'order-42@example.com', status: 'sent' });
    expect(result.details?.response).toMatch(/^250 2\.0\.0 OK .* - gsmtp$/);
    const mail = simulator.mailbox.at(-1);
    expect(mail?.account).toBe(simulator.account().label);
    expect(mail?.from).toBe('sender@example.com');
    expect(mail?.to).toEqual(['to@example.com', 'cc@example.com', 'hidden@example.com']);
    expect(mail?.messageId).toBe('<order-42@example.com>');
    // DSN: ENVID carries our id, RET=HDRS, NOTIFY on every RCPT.
    expect(mail?.envelopeId).toBe('order-42');
    expect(mail?.returnFull).toBe(false);
    expect(mail?.notify['to@example.com']).toEqual(['SUCCESS', 'FAILURE', 'DELAY']);
    const raw = rawOf();
    expect(raw).toContain('Cc: cc@example.com');
    expect(raw).not.toContain('hidden@example.com');
    expect(raw).toContain('Reply-To: Reply <reply@example.com>');
    expect(raw).toContain('X-Campaign: spring');
    expect(raw).toContain('filename=a.txt');
    expect(raw).toContain('<p>Html body</p>');
  });

  it('gives the same message the same Message-ID on a resend, and encodes ids that are not dot-atoms', async () => {
    const provider = await make({ messageIdDomain: 'mail.example.org' });
    const first = await provider.send(email('resend-1'), { signal: signal() });
    const second = await provider.send(email('resend-1'), { signal: signal() });
    expect(first.providerMessageId).toBe('resend-1@mail.example.org');
    expect(second.providerMessageId).toBe(first.providerMessageId);
    const odd = await provider.send(email('a b<c>@d'), { signal: signal() });
    expect(odd.providerMessageId).toBe(
      `b64.${Buffer.from('a b<c>@d').toString('base64url')}@mail.example.org`,
    );
    expect(simulator.mailbox.at(-1)?.messageId).toBe(`<${odd.providerMessageId}>`);
    // ENVID is printable ASCII without spaces: an id with a space is correlated by Message-ID only.
    expect(simulator.mailbox.at(-1)?.envelopeId).toBeUndefined();
  });

  it('sends the envelope from returnPath, so bounces go to the bounce address', async () => {
    const provider = await make({ returnPath: 'bounces@example.com' });
    await provider.send(email('return-path'), { signal: signal() });
    expect(simulator.mailbox.at(-1)?.from).toBe('bounces@example.com');
    expect(rawOf()).toContain('From: Sender <sender@example.com>');
  });

  it('asks for no DSN when dsn is false, and full returns when told', async () => {
    const none = await make({ dsn: false });
    await none.send(email('no-dsn'), { signal: signal() });
    expect(simulator.mailbox.at(-1)?.envelopeId).toBeUndefined();
    expect(simulator.mailbox.at(-1)?.notify['to@example.com']).toEqual([]);
    const full = await make({ dsn: { notify: ['failure'], return: 'full' } });
    await full.send(email('full-dsn'), { signal: signal() });
    expect(simulator.mailbox.at(-1)?.returnFull).toBe(true);
    expect(simulator.mailbox.at(-1)?.notify['to@example.com']).toEqual(['FAILURE']);
  });

  it('reports refused recipients in details and as failed events when others were accepted', async () => {
    const provider = await make();
    simulator.recipientReplies.set('gone@example.com', 'no-such-user');
    simulator.recipientReplies.set('full@example.com', 'mailbox-over-quota');
    const result = await provider.send(
      email('partial-1', {
        to: [{ email: 'to@example.com' }, { email: 'gone@example.com' }],
        cc: [{ email: 'full@example.com' }],
      }),
      { signal: signal() },
    );
    expect(result.status).toBe('sent');
    expect(result.details).toMatchObject({
      accepted: 'to@example.com',
      rejected: 'gone@example.com, full@example.com',
      'rejected.gone@example.com': expect.stringMatching(/^550 5\.1\.1 /),
      'rejected.full@example.com': expect.stringMatching(/^452 4\.2\.2 /),
    });
    expect(simulator.mailbox.at(-1)?.to).toEqual(['to@example.com']);
    expect(provider.events.map((event) => [event.recipient, event.status, event.error?.code])).toEqual([
      ['gone@example.com', 'failed', '5.1.1'],
      ['full@example.com', 'failed', '4.2.2'],
    ]);
    for (const event of provider.events) {
      expect(event).toMatchObject({ messageId: 'partial-1', providerMessageId: 'partial-1@example.com' });
    }
  });

  it('fails the send when every recipient is refused', async () => {
    const provider = await make();
    simulator.recipientReplies.set('gone@example.com', 'no-such-user');
    const error = await rejectionOf(
      provider.send(email('all-gone', { to: [{ email: 'gone@example.com' }] }), { signal: signal() }),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: '550 5.1.1' });
    expect(provider.events).toEqual([]);
  });

  it('refuses more recipients than maxRecipients before connecting', async () => {
    const provider = await make({ maxRecipients: 2 });
    const error = await rejectionOf(
      provider.send(
        email('crowd', {
          to: [{ email: 'a@example.com' }, { email: 'b@example.com' }],
          cc: [{ email: 'c@example.com' }],
        }),
        { signal: signal() },
      ),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'MSG_TOO_MANY_RECIPIENTS' });
    expect(error.message).toContain('maxRecipients');
    expect(simulator.requests).toHaveLength(0);
  });

  it('refuses headers the plugin writes itself', async () => {
    const provider = await make();
    const error = await rejectionOf(
      provider.send(email('spoof', { headers: { 'Message-ID': '<other@example.com>' } }), {
        signal: signal(),
      }),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'MSG_RESERVED_HEADER' });
    expect(simulator.requests).toHaveLength(0);
  });

  it('refuses a lone surrogate (no encoding can carry it) as permanent, sending nothing', async () => {
    const provider = await make();
    const error = await rejectionOf(
      provider.send(email('surrogate', { subject: 'Hi \ud800' }), { signal: signal() }),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'UNENCODABLE_TEXT' });
    expect(simulator.requests).toHaveLength(0);
  });

  it('keeps a header value with line breaks from adding headers', async () => {
    const provider = await make();
    await provider.send(
      email('inject', { subject: 'Hi\r\nBcc: victim@example.com', headers: { 'X-Note': 'a\r\nX-Evil: 1' } }),
      { signal: signal() },
    );
    const head = rawOf().split('\r\n\r\n')[0] ?? '';
    expect(head).not.toMatch(/^Bcc:/im);
    expect(head).not.toMatch(/^X-Evil:/im);
    expect(simulator.mailbox.at(-1)?.to).toEqual(['to@example.com']);
  });

  it('sends over implicit TLS, and unencrypted only when told to', async () => {
    const implicit = createSmtpSimulator({ tls: 'implicit' });
    const plain = createSmtpSimulator({ tls: 'none' });
    await Promise.all([implicit.start(), plain.start()]);
    try {
      const overTls = await makeProvider(optionsFor(implicit, implicit.account(), { tls: 'implicit' }));
      const clear = await makeProvider(optionsFor(plain, plain.account(), { tls: 'none', tlsCa: undefined }));
      providers.push(overTls, clear);
      await expect(overTls.send(email('tls-1'), { signal: signal() })).resolves.toMatchObject({
        status: 'sent',
      });
      await expect(clear.send(email('plain-1'), { signal: signal() })).resolves.toMatchObject({
        status: 'sent',
      });
    } finally {
      await Promise.all([implicit.stop(), plain.stop()]);
    }
  });

  it('reuses pooled connections for consecutive messages', async () => {
    const provider = await make({ maxConnections: 1 });
    let connections = 0;
    const count = () => connections++;
    simulator.onConnection = count;
    for (const id of ['pool-1', 'pool-2', 'pool-3']) await provider.send(email(id), { signal: signal() });
    simulator.onConnection = undefined;
    expect(simulator.mailbox).toHaveLength(3);
    expect(connections).toBe(1);
  });

  it('reports health from a connection of its own', async () => {
    const provider = await make();
    await expect(provider.health!({ signal: signal() })).resolves.toEqual({ ok: true });
    const wrong = await make({ password: 'wrong-password' });
    const health = await wrong.health!({ signal: signal() });
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('535 5.7.8');
  });

  it('closes every connection on close and refuses sends afterwards', async () => {
    const own = createSmtpSimulator();
    await own.start();
    try {
      const provider = await makeProvider(optionsFor(own, own.account(), { maxConnections: 3 }));
      await Promise.all(['c-1', 'c-2', 'c-3'].map((id) => provider.send(email(id), { signal: signal() })));
      expect(own.openConnections).toBeGreaterThan(0);
      await provider.close();
      await waitFor(() => own.openConnections === 0, 1000);
      const error = await rejectionOf(provider.send(email('after-close'), { signal: signal() }));
      expect(error.providerCode).toBe('MSG_CLOSED');
      expect(ProviderError.isInstance(error)).toBe(true);
    } finally {
      await own.stop();
    }
  });
});

describe('validate (local: SMTP has no test mode)', () => {
  it('judges a message without connecting to the relay', async () => {
    const provider = await make();
    let connections = 0;
    simulator.onConnection = () => {
      connections += 1;
    };
    expect(provider.capabilities.validation).toBe('local');
    await expect(provider.validate!(email('v-1'), { signal: signal() })).resolves.toEqual({
      method: 'local',
    });
    simulator.onConnection = undefined;
    expect(connections).toBe(0);
    expect(simulator.requests).toHaveLength(0);
    expect(simulator.mailbox).toHaveLength(0);
  });

  it('refuses what the plugin refuses before sending (maxRecipients, reserved headers), as a send does', async () => {
    const provider = await make({ maxRecipients: 2 });
    const many = email('v-many', { cc: [{ email: 'a@example.com' }, { email: 'b@example.com' }] });
    const reserved = email('v-header', { headers: { 'Message-ID': '<forged@example.com>' } });
    for (const message of [many, reserved]) {
      const refused = await rejectionOf(provider.validate!(message, { signal: signal() }));
      expect(refused.kind).toBe('permanent');
      expect(await rejectionOf(provider.send(message, { signal: signal() }))).toMatchObject({
        kind: refused.kind,
        providerCode: refused.providerCode,
      });
    }
    expect(simulator.requests).toHaveLength(0);
  });
});
