import { type Provider, ProviderError } from '@msg/core';
import { SimulatorServer, webhookReceiver } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSendgridSimulator, generateSendgridApiKey } from '../src/simulator.js';
import { email, lastBody, makeProvider, signal } from './helpers.js';

const simulator = createSendgridSimulator({
  accounts: [
    { apiKey: generateSendgridApiKey(), label: 'main' },
    { apiKey: generateSendgridApiKey(), label: 'verified-only', verifiedSenders: ['ok@example.com'] },
    { apiKey: generateSendgridApiKey(), label: 'no-scope', scopes: ['stats.read'] },
  ],
});
const providers: Provider<'email'>[] = [];
const make = async (...args: Parameters<typeof makeProvider> extends [unknown, ...infer R] ? R : never) => {
  const provider = await makeProvider(simulator, ...args);
  providers.push(provider);
  return provider;
};
async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(ProviderError.isInstance(error), 'a ProviderError').toBe(true);
  return error as ProviderError;
}

beforeAll(() => simulator.start());
afterEach(() => simulator.reset());
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('send', () => {
  it('posts the SendGrid v3 body with a Bearer key and returns X-Message-Id', async () => {
    const provider = await make();
    const result = await provider.send(
      email('message-1', {
        cc: [{ email: 'cc@example.com' }],
        bcc: [{ email: 'bcc@example.com' }],
        replyTo: [{ email: 'reply@example.com', name: 'Reply' }],
        html: '<p>Html body</p>',
        attachments: [
          { filename: 'a.txt', contentType: 'text/plain', content: new TextEncoder().encode('hi') },
          {
            filename: 'logo.png',
            contentType: 'image/png',
            content: Uint8Array.of(1, 2, 3),
            contentId: 'logo',
          },
        ],
        headers: { 'X-Campaign': 'spring' },
        tags: ['welcome', 'onboarding'],
      }),
      { signal: signal() },
    );
    const request = simulator.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v3/mail/send');
    expect(request?.headers.authorization).toBe(`Bearer ${simulator.account('main').apiKey}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.credential).toBe('main');
    // @sendgrid/mail copies email headers into the HTTP request; the transport keeps them out.
    expect(request?.headers['x-campaign']).toBeUndefined();
    expect(result.providerMessageId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(result.status).toBe('queued');
    expect(lastBody(simulator)).toEqual({
      from: { email: 'sender@example.com', name: 'Sender' },
      subject: 'Hello',
      personalizations: [
        {
          to: [{ email: 'to@example.com', name: 'Recipient' }],
          cc: [{ email: 'cc@example.com' }],
          bcc: [{ email: 'bcc@example.com' }],
        },
      ],
      content: [
        { type: 'text/plain', value: 'Plain body' },
        { type: 'text/html', value: '<p>Html body</p>' },
      ],
      reply_to: { email: 'reply@example.com', name: 'Reply' },
      attachments: [
        { content: 'aGk=', filename: 'a.txt', type: 'text/plain', disposition: 'attachment' },
        {
          content: 'AQID',
          filename: 'logo.png',
          type: 'image/png',
          disposition: 'inline',
          content_id: 'logo',
        },
      ],
      headers: { 'X-Campaign': 'spring' },
      categories: ['welcome', 'onboarding'],
      custom_args: { msg_id: 'message-1' },
    });
  });

  it('uses reply_to_list for several reply-to addresses and drops duplicate recipients', async () => {
    const provider = await make();
    await provider.send(
      email('message-2', {
        to: [{ email: 'to@example.com' }],
        cc: [{ email: 'TO@example.com' }, { email: 'cc@example.com' }],
        replyTo: [{ email: 'a@example.com' }, { email: 'b@example.com' }],
      }),
      { signal: signal() },
    );
    const body = lastBody(simulator);
    expect(body.reply_to_list).toEqual([{ email: 'a@example.com' }, { email: 'b@example.com' }]);
    expect(body.reply_to).toBeUndefined();
    expect(body.personalizations).toEqual([
      { to: [{ email: 'to@example.com' }], cc: [{ email: 'cc@example.com' }] },
    ]);
  });

  it('keeps at most 10 categories and turns on sandbox mode and the IP pool from options', async () => {
    const provider = await make({ sandboxMode: true, ipPoolName: 'transactional' });
    const tags = Array.from({ length: 12 }, (_, index) => `tag-${index}`);
    const result = await provider.send(email('message-3', { tags }), { signal: signal() });
    const body = lastBody(simulator);
    expect(body.categories).toEqual(tags.slice(0, 10));
    expect(body.mail_settings).toEqual({ sandbox_mode: { enable: true } });
    expect(body.ip_pool_name).toBe('transactional');
    // Sandbox answers 200 without X-Message-Id: the message id stands in.
    expect(result.providerMessageId).toBe('message-3');
  });

  it('refuses a header SendGrid reserves without sending anything', async () => {
    const provider = await make();
    const error = await failure(
      provider.send(email('message-4', { headers: { authorization: 'Bearer other' } }), { signal: signal() }),
    );
    expect(error.kind).toBe('permanent');
    expect(error.providerCode).toBe('MSG_RESERVED_HEADER');
    expect(simulator.requests).toHaveLength(0);
  });

  it('gives a closed provider a configuration error and sends nothing', async () => {
    const provider = await make();
    await provider.close();
    const error = await failure(provider.send(email('message-5'), { signal: signal() }));
    expect(error.kind).toBe('configuration');
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('errors from the real SendGrid answers', () => {
  it('maps a wrong API key (401) to configuration without the key in the message', async () => {
    const key = generateSendgridApiKey();
    const provider = await make({ apiKey: key });
    const error = await failure(provider.send(email('message-6'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '401', httpStatus: 401 });
    expect(error.message).toContain('authorization grant is invalid');
    expect(error.message).not.toContain(key);
    expect(JSON.stringify(error.toJSON())).not.toContain(key.split('.')[2]);
  });

  it('maps an unverified sender (403) to configuration, naming the field', async () => {
    const provider = await make({ apiKey: simulator.account('verified-only').apiKey });
    const error = await failure(provider.send(email('message-7'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '403' });
    expect(error.message).toContain('verified Sender Identity');
    expect(error.message).toContain('(field from)');
    await expect(
      provider.send(email('message-8', { from: { email: 'ok@example.com' } }), { signal: signal() }),
    ).resolves.toMatchObject({ status: 'queued' });
  });

  it('maps a key without the mail.send scope (403) to configuration and reports it in health', async () => {
    const provider = await make({ apiKey: simulator.account('no-scope').apiKey });
    const error = await failure(provider.send(email('message-9'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '403' });
    await expect(provider.health?.({ signal: signal() })).resolves.toMatchObject({ ok: false });
    const healthy = await make();
    await expect(healthy.health?.({ signal: signal() })).resolves.toEqual({ ok: true });
  });

  it('maps a body SendGrid rejects (400) to permanent with every error message', async () => {
    const provider = await make();
    const tooMany = Array.from({ length: 1001 }, (_, index) => ({ email: `r${index}@example.com` }));
    const error = await failure(provider.send(email('message-10', { to: tooMany }), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: '400', httpStatus: 400 });
    expect(error.message).toContain('total number of recipients must be no more than 1000');
  });

  it('honours X-RateLimit-Reset (epoch seconds) as retryAfterMs on 429', async () => {
    const now = 1_700_000_000_500;
    const clocked = createSendgridSimulator({ now: () => now });
    await clocked.start();
    const provider = await makeProvider(clocked, {}, { now: () => now });
    try {
      clocked.failNext('rate-limited');
      const error = await failure(provider.send(email('message-11'), { signal: signal() }));
      expect(error.kind).toBe('rate-limited');
      expect(error.isRetryable).toBe(true);
      // The simulator sets X-RateLimit-Reset to the current epoch second + 30.
      expect(error.retryAfterMs).toBe((1_700_000_000 + 30) * 1000 - now);
    } finally {
      await provider.close();
      await clocked.stop();
    }
  });

  it('turns a message the SDK itself refuses into a permanent error before any request', async () => {
    const provider = await make();
    const error = await failure(
      provider.send(email('message-15', { subject: 42 as never }), { signal: signal() }),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'SDK_VALIDATION' });
    expect(simulator.requests).toHaveLength(0);
  });

  it('reports a refused connection as transient (nothing was sent)', async () => {
    const provider = await make({ baseUrl: 'http://127.0.0.1:9' });
    const error = await failure(provider.send(email('message-12'), { signal: signal() }));
    expect(error.kind).toBe('transient');
    expect(error.providerCode).toBe('ECONNREFUSED');
  });

  it('cancels a hanging request through the undici pool when the signal aborts', async () => {
    const provider = await make();
    simulator.faultNext({ hang: true });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    const error = await failure(provider.send(email('message-13'), { signal: controller.signal }));
    expect(Date.now() - started).toBeLessThan(500);
    expect(error).toMatchObject({ kind: 'ambiguous', providerCode: 'MSG_ABORTED' });
    // The pool is still usable after the aborted request.
    await expect(provider.send(email('message-14'), { signal: signal() })).resolves.toBeDefined();
  });
});

describe('validate (test mode: mail_settings.sandbox_mode)', () => {
  it('sends the request in sandbox mode: SendGrid checks it and delivers nothing, posts no event', async () => {
    const provider = await make();
    const receiver = await webhookReceiver();
    simulator.callbackUrl = `${receiver.url}/webhooks/sendgrid`;
    await simulator.callbacks.idle();
    const callbacksBefore = simulator.callbacks.delivered.length;
    const acceptedBefore = simulator.accepted.length;
    expect(provider.capabilities.validation).toBe('test-mode');
    await expect(provider.validate!(email('v-1', { tags: ['otp'] }), { signal: signal() })).resolves.toEqual({
      method: 'test-mode',
    });
    const body = lastBody(simulator);
    expect(body.mail_settings).toEqual({ sandbox_mode: { enable: true } });
    // The same message a send would post, but for the sandbox switch.
    expect(body.custom_args).toEqual({ msg_id: 'v-1' });
    expect(body.categories).toEqual(['otp']);
    await simulator.callbacks.idle();
    expect(simulator.callbacks.delivered).toHaveLength(callbacksBefore);
    expect(simulator.accepted).toHaveLength(acceptedBefore);
    // A send of the same message is delivered and posts its events: the sandbox switch is the difference.
    await provider.send(email('v-1'), { signal: signal() });
    await simulator.callbacks.idle();
    expect(simulator.accepted).toHaveLength(acceptedBefore + 1);
    expect(simulator.callbacks.delivered.length).toBeGreaterThan(callbacksBefore);
    simulator.callbackUrl = undefined;
    await receiver.close();
  });

  it('refuses with the error a send meets (an unverified sender is configuration)', async () => {
    const provider = await make();
    const acceptedBefore = simulator.accepted.length;
    simulator.failNext('unverified-sender');
    expect(await failure(provider.validate!(email('v-2'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      httpStatus: 403,
    });
    simulator.failNext('bad-request');
    expect((await failure(provider.validate!(email('v-3'), { signal: signal() }))).kind).toBe('permanent');
    expect(simulator.accepted).toHaveLength(acceptedBefore);
  });

  it('reports a sandbox request SendGrid took for delivery anyway as ambiguous, never as validated', async () => {
    const ignored = new SimulatorServer({ name: 'not-sendgrid' });
    ignored.route('POST', '/v3/mail/send', () => ({ status: 202, headers: { 'x-message-id': 'real-one' } }));
    const url = await ignored.start();
    try {
      const wrong = await make({ baseUrl: url });
      expect(await failure(wrong.validate!(email('v-4'), { signal: signal() }))).toMatchObject({
        kind: 'ambiguous',
        providerCode: 'MSG_TEST_MODE_IGNORED',
      });
    } finally {
      await ignored.stop();
    }
  });
});
