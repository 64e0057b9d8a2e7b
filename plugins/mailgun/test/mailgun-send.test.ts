import { createProvider, type Provider, silentLogger } from '@msg/core';
import { rejectionOf, SimulatorServer, textResponse, webhookReceiver } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mailgunPlugin, {
  createMailgunProvider,
  type MailgunPluginOptions,
  mailgunBaseUrl,
} from '../src/index.js';
import { retryAfterFromHeaders, toProviderError } from '../src/mailgun-error.js';
import { MailgunHttpError } from '../src/mailgun-transport.js';
import { createMailgunSimulator, type MailgunSimulator } from '../src/simulator.js';
import { ACCOUNT_A, ACCOUNT_B, emailMessage } from './helpers.js';

let simulator: SimulatorServer;
let baseUrl: string;
const providers: Provider[] = [];
const signal = () => new AbortController().signal;

async function make(overrides: Partial<MailgunPluginOptions> = {}): Promise<Provider<'email'>> {
  const options: MailgunPluginOptions = {
    apiKey: ACCOUNT_A.apiKey,
    domain: 'mg.acme.example',
    baseUrl,
    webhookSigningKey: ACCOUNT_A.signingKey,
    ...overrides,
  };
  const provider = await createProvider(mailgunPlugin, options, {
    instanceId: 'mailgun-test',
    logger: silentLogger,
    now: Date.now,
  });
  providers.push(provider);
  return provider as Provider<'email'>;
}

async function lastForm(): Promise<FormData> {
  const request = simulator.requests.at(-1)!;
  const contentType = String(request.headers['content-type']);
  return new Response(request.body, { headers: { 'content-type': contentType } }).formData();
}

beforeAll(async () => {
  simulator = createMailgunSimulator({ accounts: [ACCOUNT_A, ACCOUNT_B] });
  baseUrl = await simulator.start();
});
afterEach(() => simulator.reset());
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('send', () => {
  it('posts every field as multipart to /v3/{domain}/messages with Basic api:KEY', async () => {
    const provider = await make({ testMode: true });
    await provider.send(
      emailMessage('msg-fields', {
        to: [{ email: 'alice@example.com', name: 'Alice' }, { email: 'bob@example.com' }],
        cc: [{ email: 'carol@example.com' }],
        bcc: [{ email: 'dave@example.com' }],
        replyTo: [{ email: 'help@acme.example', name: 'Acme Help' }],
        html: '<p>Hello <img src="cid:logo.png"></p>',
        tags: ['welcome', 'onboarding'],
        headers: { 'X-Campaign': 'spring' },
        attachments: [
          {
            filename: 'terms.pdf',
            contentType: 'application/pdf',
            content: new Uint8Array([37, 80, 68, 70]),
          },
          {
            filename: 'logo',
            contentType: 'image/png',
            content: new Uint8Array([137, 80]),
            contentId: 'logo.png',
          },
        ],
      }),
      { signal: signal() },
    );
    const request = simulator.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v3/mg.acme.example/messages');
    expect(request.headers.authorization).toBe(
      `Basic ${Buffer.from(`api:${ACCOUNT_A.apiKey}`).toString('base64')}`,
    );
    expect(request.credential).toBe('mg.acme.example');
    const form = await lastForm();
    expect(form.get('from')).toBe('Acme News <news@mg.acme.example>');
    expect(form.getAll('to')).toEqual(['Alice <alice@example.com>', 'bob@example.com']);
    expect(form.getAll('cc')).toEqual(['carol@example.com']);
    expect(form.getAll('bcc')).toEqual(['dave@example.com']);
    expect(form.get('h:Reply-To')).toBe('Acme Help <help@acme.example>');
    expect(form.get('subject')).toBe('Hello');
    expect(form.get('text')).toBe('Hello Alice');
    expect(form.get('html')).toBe('<p>Hello <img src="cid:logo.png"></p>');
    expect(form.getAll('o:tag')).toEqual(['welcome', 'onboarding']);
    expect(form.get('h:X-Campaign')).toBe('spring');
    expect(form.get('v:msg_id')).toBe('msg-fields');
    expect(form.get('o:testmode')).toBe('yes');
    const attachment = form.get('attachment') as File;
    expect([attachment.name, attachment.type]).toEqual(['terms.pdf', 'application/pdf']);
    expect(new Uint8Array(await attachment.arrayBuffer())).toEqual(new Uint8Array([37, 80, 68, 70]));
    const inline = form.get('inline') as File;
    expect([inline.name, inline.type]).toEqual(['logo.png', 'image/png']);
  });

  it('returns the message id without angle brackets, as events carry it', async () => {
    const provider = await make();
    const result = await provider.send(emailMessage('msg-id'), { signal: signal() });
    expect(result.status).toBe('queued');
    expect(result.providerMessageId).toMatch(/^\d{14}\.\d+\.[0-9A-F]+@mg\.acme\.example$/);
  });

  it('uses the default sender when a message has none', async () => {
    const provider = await make({ defaultFrom: 'Acme <hello@mg.acme.example>' });
    await provider.send(emailMessage('msg-default-from', { from: { email: '' } }), { signal: signal() });
    expect((await lastForm()).get('from')).toBe('Acme <hello@mg.acme.example>');
  });

  it('points at the US API by default, the EU API for region eu, and baseUrl over both', () => {
    expect(mailgunBaseUrl({})).toBe('https://api.mailgun.net');
    expect(mailgunBaseUrl({ region: 'eu' })).toBe('https://api.eu.mailgun.net');
    expect(mailgunBaseUrl({ region: 'eu', baseUrl: 'http://127.0.0.1:9' })).toBe('http://127.0.0.1:9');
  });

  it('refuses unknown options', async () => {
    await expect(make({ apiKeys: 'x' } as never)).rejects.toMatchObject({ code: 'MSG_ERR_PLUGIN_OPTIONS' });
  });
});

describe('errors', () => {
  it('maps a wrong API key to configuration without echoing the key', async () => {
    const provider = await make({ apiKey: 'key-wrong-secret-value' });
    const error = await rejectionOf(provider.send(emailMessage('msg-bad-key'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '401', httpStatus: 401 });
    expect(error.message).toContain('Forbidden');
    expect(JSON.stringify(error)).not.toContain('key-wrong-secret-value');
  });

  it("maps another account's domain to configuration (404 domain not found)", async () => {
    const provider = await make({ domain: ACCOUNT_B.domains[0] });
    const error = await rejectionOf(provider.send(emailMessage('msg-other-domain'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '404' });
    expect(error.message).toContain('Domain not found: mg.other.example');
  });

  it("passes Mailgun's validation message through as a permanent error", async () => {
    const provider = await make();
    const error = await rejectionOf(
      provider.send(emailMessage('msg-bad-to', { to: [{ email: 'not-an-address' }] }), { signal: signal() }),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: '400' });
    expect(error.message).toContain("'to' parameter is not a valid address");
  });

  it('keeps the Retry-After of a 429 as retryAfterMs', async () => {
    const provider = await make();
    simulator.failNext('rate-limited');
    const error = await rejectionOf(provider.send(emailMessage('msg-429'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'rate-limited', retryAfterMs: 7000 });
  });

  it('reads X-RateLimit-Reset (epoch ms or s) when there is no Retry-After', () => {
    const now = 1_700_000_000_000;
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': String(now + 2500) }, now)).toBe(2500);
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': String(now / 1000 + 3) }, now)).toBe(3000);
    expect(retryAfterFromHeaders({ 'retry-after': '2', 'x-ratelimit-reset': String(now + 9000) }, now)).toBe(
      2000,
    );
    expect(retryAfterFromHeaders({}, now)).toBeUndefined();
  });

  it('treats a sandbox-domain refusal as configuration, not as a bad message', () => {
    const error = toProviderError(
      new MailgunHttpError(400, { message: 'Sandbox subdomains are for test purposes only.' }, {}),
      'p',
    );
    expect(error.kind).toBe('configuration');
  });

  it("converts mailgun.js's own APIError, never letting it escape", () => {
    const sdkError = Object.assign(new Error('Message data object can not be empty'), {
      type: 'MailgunAPIError',
      status: 400,
      details: 'Message data object can not be empty',
    });
    expect(toProviderError(sdkError, 'p')).toMatchObject({ kind: 'permanent', providerCode: '400' });
  });

  it('refuses a pre-aborted send as not sent (transient), without a request', async () => {
    const provider = await make();
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    const error = await rejectionOf(
      provider.send(emailMessage('msg-pre-abort'), { signal: controller.signal }),
    );
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'MSG_ABORTED' });
    expect(simulator.requests).toHaveLength(0);
  });

  it('reports a 2xx without a message id as ambiguous: it may have been queued', async () => {
    const root = new SimulatorServer({ name: 'not-mailgun' });
    root.route('POST', '/v3/:domain/messages', () => textResponse(200, 'Mailgun Magnificent API'));
    const provider = await make({ baseUrl: await root.start() });
    try {
      const error = await rejectionOf(provider.send(emailMessage('msg-root'), { signal: signal() }));
      expect(error).toMatchObject({ kind: 'ambiguous', providerCode: 'NO_MESSAGE_ID' });
    } finally {
      await root.stop();
    }
  });

  it('reports a refused connection as transient (nothing was sent)', async () => {
    const provider = await make({ baseUrl: 'http://127.0.0.1:9' });
    const error = await rejectionOf(provider.send(emailMessage('msg-refused'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'ECONNREFUSED' });
  });

  it('refuses to send once closed', async () => {
    const provider = createMailgunProvider('closed', {
      apiKey: ACCOUNT_A.apiKey,
      domain: 'mg.acme.example',
      baseUrl,
    });
    await provider.close();
    const error = await rejectionOf(provider.send(emailMessage('msg-closed'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'CLOSED' });
  });
});

describe('health', () => {
  it('reports an active domain as healthy and a bad key as not', async () => {
    await expect((await make()).health!({ signal: signal() })).resolves.toMatchObject({ ok: true });
    const broken = await make({ apiKey: 'key-nope' });
    const health = await broken.health!({ signal: signal() });
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('401');
  });
});

describe('validate (test mode: o:testmode=yes)', () => {
  const mailgun = () => simulator as MailgunSimulator;

  it('posts the send request with o:testmode: accepted, never delivered, no event, no webhook', async () => {
    const provider = await make();
    const receiver = await webhookReceiver();
    simulator.callbackUrl = `${receiver.url}/webhooks/mailgun`;
    const acceptedBefore = mailgun().accepted.length;
    const callbacksBefore = simulator.callbacks.delivered.length;
    try {
      expect(provider.capabilities.validation).toBe('test-mode');
      await expect(provider.validate!(emailMessage('v-1'), { signal: signal() })).resolves.toEqual({
        method: 'test-mode',
      });
      const form = await lastForm();
      expect(form.get('o:testmode')).toBe('yes');
      expect(form.get('v:msg_id')).toBe('v-1');
      await simulator.callbacks.idle();
      expect(mailgun().accepted).toHaveLength(acceptedBefore);
      expect(simulator.callbacks.delivered).toHaveLength(callbacksBefore);
      // The same message sent for real is taken for delivery, and its events are posted.
      await provider.send(emailMessage('v-1'), { signal: signal() });
      await simulator.callbacks.idle();
      expect(mailgun().accepted).toHaveLength(acceptedBefore + 1);
      expect(simulator.callbacks.delivered.length).toBeGreaterThan(callbacksBefore);
    } finally {
      simulator.callbackUrl = undefined;
      await receiver.close();
    }
  });

  it('refuses with the error a send meets', async () => {
    const provider = await make();
    simulator.failNext('forbidden');
    expect(await rejectionOf(provider.validate!(emailMessage('v-2'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      httpStatus: 403,
    });
    expect(
      await rejectionOf(
        provider.validate!(emailMessage('v-3', { to: [{ email: 'not an address' }] }), { signal: signal() }),
      ),
    ).toMatchObject({ kind: 'permanent', httpStatus: 400 });
  });
});
