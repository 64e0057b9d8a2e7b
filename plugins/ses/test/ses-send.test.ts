import { randomBytes } from 'node:crypto';
import { createProvider, type EmailMessage, type Provider, ProviderError, silentLogger } from '@msg/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import sesPlugin, { type SesPluginOptions } from '../src/index.js';
import { createSesSimulator, leafParts, type SesSimulator } from '../src/simulator.js';
import { email } from './helpers.js';

const ACCESS_KEY = 'AKIASENDTESTS0000001';
let simulator: SesSimulator;
let options: SesPluginOptions;
const providers: Provider[] = [];

async function make(
  overrides: Partial<SesPluginOptions> = {},
  instanceId = 'ses-test',
): Promise<Provider<'email'>> {
  const provider = await createProvider(
    sesPlugin,
    { ...options, ...overrides },
    {
      instanceId,
      logger: silentLogger,
      now: () => Date.parse('2030-01-02T03:04:05Z'),
    },
  );
  providers.push(provider);
  return provider as Provider<'email'>;
}

const signal = () => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(ProviderError.isInstance(error), `expected a ProviderError, got ${String(error)}`).toBe(true);
  return error as ProviderError;
}

// biome-ignore lint/suspicious/noExplicitAny: the tests walk the JSON the SDK sent
function lastBody(): Record<string, any> {
  const request = simulator.requests.at(-1);
  if (!request) throw new Error('no request recorded');
  // biome-ignore lint/suspicious/noExplicitAny: as above
  return JSON.parse(request.body.toString('utf8')) as Record<string, any>;
}

beforeAll(async () => {
  simulator = createSesSimulator({
    accounts: { [ACCESS_KEY]: 'send-secret' },
    verifiedIdentities: ['example.com'],
    configurationSets: ['events'],
  });
  const baseUrl = await simulator.start();
  options = { region: 'us-east-1', baseUrl, accessKeyId: ACCESS_KEY, secretAccessKey: 'send-secret' };
});
beforeEach(() => {
  simulator.reset();
  simulator.emails.length = 0;
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('SendEmail request', () => {
  it('posts Simple content to /v2/email/outbound-emails, SigV4-signed for service ses', async () => {
    const provider = await make({ configurationSetName: 'events' });
    const result = await provider.send(
      email('msg-1', {
        from: { email: 'news@example.com', name: 'Example News' },
        to: [{ email: 'a@example.org', name: 'Ann' }, { email: 'b@example.org' }],
        cc: [{ email: 'c@example.org' }],
        bcc: [{ email: 'd@example.org' }],
        replyTo: [{ email: 'help@example.com', name: 'Help, Desk' }],
        html: '<p>Hello there</p>',
        tags: ['welcome', 'campaign:spring 2030'],
      }),
      { signal: signal() },
    );
    const request = simulator.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v2/email/outbound-emails');
    expect(request?.credential).toBe(ACCESS_KEY);
    expect(String(request?.headers.authorization)).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/\\d{8}/us-east-1/ses/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`,
      ),
    );
    expect(lastBody()).toEqual({
      FromEmailAddress: 'Example News <news@example.com>',
      Destination: {
        ToAddresses: ['Ann <a@example.org>', 'b@example.org'],
        CcAddresses: ['c@example.org'],
        BccAddresses: ['d@example.org'],
      },
      ReplyToAddresses: ['"Help, Desk" <help@example.com>'],
      Content: {
        Simple: {
          Subject: { Data: 'Hello', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'Hello there', Charset: 'UTF-8' },
            Html: { Data: '<p>Hello there</p>', Charset: 'UTF-8' },
          },
        },
      },
      EmailTags: [
        { Name: 'msg_id', Value: 'msg-1' },
        { Name: 'welcome', Value: 'true' },
        { Name: 'campaign_spring_2030', Value: 'true' },
      ],
      ConfigurationSetName: 'events',
    });
    expect(result.providerMessageId).toBe(simulator.emails[0]?.messageId);
    expect(result.providerMessageId).toMatch(/^0100[0-9a-f]{12}-[0-9a-f-]{36}-000000$/);
    expect(result.status).toBe('queued');
    expect(result.details?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sanitises the message id tag to the characters SES allows', async () => {
    const provider = await make();
    await provider.send(email('order 42/retry.1', { tags: ['msg_id', ''] }), { signal: signal() });
    expect(lastBody().EmailTags).toEqual([{ Name: 'msg_id', Value: 'order_42_retry_1' }]);
  });

  it('encodes a non-ASCII display name as an RFC 2047 word, which SES requires', async () => {
    const provider = await make();
    await provider.send(email('msg-utf8', { from: { email: 'news@example.com', name: 'Zoë Mwansa' } }), {
      signal: signal(),
    });
    expect(lastBody().FromEmailAddress).toBe(
      `=?UTF-8?B?${Buffer.from('Zoë Mwansa').toString('base64')}?= <news@example.com>`,
    );
  });

  it('refuses more than 50 recipients as permanent before sending anything', async () => {
    const provider = await make();
    const to = Array.from({ length: 40 }, (_, index) => ({ email: `to${index}@example.org` }));
    const bcc = Array.from({ length: 11 }, (_, index) => ({ email: `bcc${index}@example.org` }));
    const error = await failure(provider.send(email('msg-51', { to, bcc }), { signal: signal() }));
    expect(error.kind).toBe('permanent');
    expect(error.providerCode).toBe('MSG_TOO_MANY_RECIPIENTS');
    expect(simulator.requests).toHaveLength(0);
    await expect(
      provider.send(email('msg-50', { to, bcc: bcc.slice(1) }), { signal: signal() }),
    ).resolves.toBeDefined();
  });

  it('refuses a custom header that would replace one built from the message fields', async () => {
    const provider = await make();
    const error = await failure(
      provider.send(email('msg-h', { headers: { Subject: 'x' } }), { signal: signal() }),
    );
    expect(error.kind).toBe('permanent');
    expect(error.providerCode).toBe('MSG_RESERVED_HEADER');
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('Raw MIME content', () => {
  const pdf = randomBytes(3000);
  const logo = randomBytes(700);
  const message = (): EmailMessage =>
    email('msg-raw', {
      from: { email: 'news@example.com', name: 'Zoë' },
      to: [{ email: 'a@example.org', name: 'Ann Banda' }],
      cc: [{ email: 'c@example.org' }],
      bcc: [{ email: 'secret@example.org' }],
      replyTo: [{ email: 'help@example.com' }],
      subject: 'Résumé attached — your ☕ order confirmation for the whole week, with every detail inside',
      text: 'Plain body, ça va?',
      html: '<p>HTML body <img src="cid:logo@msg"></p>',
      headers: { 'List-Unsubscribe': '<mailto:unsubscribe@example.com>', 'X-Campaign': 'spring' },
      attachments: [
        { filename: 'invoice.pdf', contentType: 'application/pdf', content: pdf },
        { filename: 'logo.png', contentType: 'image/png', content: logo, contentId: 'logo@msg' },
        { filename: 'café menu.txt', contentType: 'text/plain', content: Buffer.from('menu') },
      ],
    });

  it('sends Raw content whose MIME parses back to the same parts and bytes', async () => {
    const provider = await make();
    await provider.send(message(), { signal: signal() });
    const body = lastBody();
    expect(body.Content.Simple).toBeUndefined();
    expect(typeof body.Content.Raw.Data).toBe('string');
    expect(body.Destination.BccAddresses).toEqual(['secret@example.org']);
    const received = simulator.emails[0];
    expect(received?.contentKind).toBe('Raw');
    expect(received?.problems).toEqual([]);
    expect(received?.subject).toBe(message().subject);
    expect(received?.text).toBe('Plain body, ça va?');
    expect(received?.html).toBe('<p>HTML body <img src="cid:logo@msg"></p>');
    const byName = Object.fromEntries((received?.attachments ?? []).map((part) => [part.filename, part]));
    expect(byName['invoice.pdf']?.content.equals(pdf)).toBe(true);
    expect(byName['invoice.pdf']).toMatchObject({
      contentType: 'application/pdf',
      disposition: 'attachment',
    });
    expect(byName['logo.png']?.content.equals(logo)).toBe(true);
    expect(byName['logo.png']).toMatchObject({ disposition: 'inline', contentId: 'logo@msg' });
    expect(byName['café menu.txt']?.content.toString()).toBe('menu');
  });

  it('nests text, HTML and inline parts as mixed > alternative > related', async () => {
    const provider = await make();
    await provider.send(message(), { signal: signal() });
    const mime = simulator.emails[0]?.mime;
    expect(mime?.contentType).toBe('multipart/mixed');
    const [alternative, ...files] = mime?.parts ?? [];
    expect(alternative?.contentType).toBe('multipart/alternative');
    expect(alternative?.parts.map((part) => part.contentType)).toEqual(['text/plain', 'multipart/related']);
    expect(alternative?.parts[1]?.parts.map((part) => part.contentType)).toEqual(['text/html', 'image/png']);
    expect(files.map((part) => part.filename)).toEqual(['invoice.pdf', 'café menu.txt']);
    expect(
      leafParts(mime!).every((part) => part.headers.some(([name]) => name === 'content-transfer-encoding')),
    ).toBe(true);
  });

  it('writes CRLF lines, 76-character base64, encoded words of at most 75 characters, and no Bcc header', async () => {
    const provider = await make();
    await provider.send(message(), { signal: signal() });
    const raw = simulator.emails[0]?.raw?.toString('latin1') ?? '';
    expect(raw).not.toMatch(/[^\r]\n/);
    const [head = '', ...rest] = raw.split('\r\n\r\n');
    expect(head).not.toMatch(/^bcc:/im);
    expect(head).toMatch(/^List-Unsubscribe: <mailto:unsubscribe@example.com>$/m);
    expect(head).toMatch(/^X-Campaign: spring$/m);
    expect(head).toMatch(/^Date: Wed, 02 Jan 2030 03:04:05 \+0000$/m);
    expect(head).toMatch(/^MIME-Version: 1\.0$/m);
    const words = head.match(/=\?UTF-8\?B\?[^?]*\?=/g) ?? [];
    expect(words.length).toBeGreaterThan(2);
    for (const word of words) expect(word.length).toBeLessThanOrEqual(75);
    const base64Lines = rest
      .join('\r\n\r\n')
      .split('\r\n')
      .filter((line) => /^[A-Za-z0-9+/=]{20,}$/.test(line));
    expect(base64Lines.length).toBeGreaterThan(10);
    for (const line of base64Lines) expect(line.length).toBeLessThanOrEqual(76);
    expect(base64Lines.some((line) => line.length === 76)).toBe(true);
    expect(raw).toContain(`filename*=UTF-8''caf%C3%A9%20menu.txt`);
  });

  it('uses Raw content for custom headers even without attachments', async () => {
    const provider = await make();
    await provider.send(email('msg-hdr', { headers: { 'X-Priority': '1' } }), { signal: signal() });
    const received = simulator.emails[0];
    expect(received?.contentKind).toBe('Raw');
    expect(received?.mime?.contentType).toBe('text/plain');
    expect(received?.mime?.headers).toContainEqual(['x-priority', '1']);
    expect(received?.text).toBe('Hello there');
  });
});

describe('errors from SES', () => {
  it('treats an unverified sender as configuration, naming the identity', async () => {
    const provider = await make();
    const error = await failure(
      provider.send(email('msg-unverified', { from: { email: 'someone@unverified.test' } }), {
        signal: signal(),
      }),
    );
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'MessageRejected', httpStatus: 400 });
    expect(error.message).toContain('not verified');
  });

  it('treats a missing configuration set as configuration', async () => {
    const provider = await make({ configurationSetName: 'missing' });
    const error = await failure(provider.send(email('msg-cs'), { signal: signal() }));
    expect(error).toMatchObject({
      kind: 'configuration',
      providerCode: 'NotFoundException',
      httpStatus: 404,
    });
  });

  it('treats a wrong secret key as configuration (the simulator checks the SigV4 signature)', async () => {
    const provider = await make({ secretAccessKey: 'not-the-secret' });
    const error = await failure(provider.send(email('msg-badsig'), { signal: signal() }));
    expect(error).toMatchObject({
      kind: 'configuration',
      providerCode: 'InvalidSignatureException',
      httpStatus: 403,
    });
    expect(error.message).not.toContain('not-the-secret');
  });

  it('treats an unknown access key as configuration', async () => {
    const provider = await make({ accessKeyId: 'AKIAUNKNOWN000000000' });
    const error = await failure(provider.send(email('msg-badkey'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'UnrecognizedClientException' });
  });

  it('treats a region the credentials are not scoped to as configuration', async () => {
    const provider = await make({ region: 'eu-west-1' });
    const error = await failure(provider.send(email('msg-region'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'InvalidSignatureException' });
  });

  it('never retries: one failed request, one error', async () => {
    const provider = await make();
    simulator.failNext('InternalServiceErrorException', 3);
    const error = await failure(provider.send(email('msg-once'), { signal: signal() }));
    expect(error.kind).toBe('transient');
    expect(simulator.requests).toHaveLength(1);
  });

  it('refuses to send after close', async () => {
    const provider = await make();
    await provider.close();
    const error = await failure(provider.send(email('msg-closed'), { signal: signal() }));
    expect(error.providerCode).toBe('MSG_CLOSED');
  });
});

describe('sendBatch', () => {
  it('returns one outcome per message in order, failures as ProviderErrors', async () => {
    const provider = await make();
    const tooMany = Array.from({ length: 51 }, (_, index) => ({ email: `r${index}@example.org` }));
    const results = await provider.sendBatch!([email('b-1'), email('b-2', { to: tooMany }), email('b-3')], {
      signal: signal(),
    });
    expect(results.map((result) => [result.messageId, result.ok])).toEqual([
      ['b-1', true],
      ['b-2', false],
      ['b-3', true],
    ]);
    const failed = results[1];
    expect(failed?.ok === false && failed.error.kind).toBe('permanent');
    expect(simulator.emails.map((received) => received.tags.msg_id).sort()).toEqual(['b-1', 'b-3']);
  });

  it('turns a batch aborted before sending into per-message errors without requests', async () => {
    const provider = await make();
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    const results = await provider.sendBatch!([email('a-1'), email('a-2')], { signal: controller.signal });
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(ProviderError.isInstance(result.error)).toBe(true);
    }
    expect(simulator.requests).toHaveLength(0);
  });
});

describe('health and options', () => {
  it('reports health from GetAccount', async () => {
    const provider = await make();
    await expect(provider.health!({ signal: signal() })).resolves.toEqual({
      ok: true,
      detail: 'sending enabled, enforcement HEALTHY',
    });
    expect(simulator.requests.at(-1)?.path).toBe('/v2/email/account');
  });

  it('reports bad credentials as unhealthy', async () => {
    const provider = await make({ secretAccessKey: 'wrong' });
    const health = await provider.health!({ signal: signal() });
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('InvalidSignatureException');
  });

  it('refuses an access key without its secret', async () => {
    const error = await createProvider(
      sesPlugin,
      { region: 'us-east-1', accessKeyId: 'AKIA' },
      {
        instanceId: 'bad',
        logger: silentLogger,
        now: Date.now,
      },
    ).catch((reason: unknown) => reason);
    expect((error as { code?: string }).code).toBe('MSG_ERR_PLUGIN_OPTIONS');
    expect((error as Error).message).toContain('secretAccessKey');
  });
});

describe('validate (local: the mailbox simulator would judge another recipient)', () => {
  it('builds the request as a send would, and sends nothing', async () => {
    const provider = await make();
    const message = email('v-1', {
      attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('a') }],
    });
    expect(provider.capabilities.validation).toBe('local');
    await expect(provider.validate!(message, { signal: signal() })).resolves.toEqual({ method: 'local' });
    expect(simulator.requests).toHaveLength(0);
    expect(simulator.emails).toHaveLength(0);
  });

  it('refuses what SES refuses (more than 50 recipients) as a send does, without asking SES', async () => {
    const provider = await make();
    const to = Array.from({ length: 51 }, (_, index) => ({ email: `user${index}@example.com` }));
    const message = email('v-many', { to });
    const refused = await failure(provider.validate!(message, { signal: signal() }));
    expect(refused).toMatchObject({ kind: 'permanent', providerCode: 'MSG_TOO_MANY_RECIPIENTS' });
    expect(await failure(provider.send(message, { signal: signal() }))).toMatchObject({
      kind: refused.kind,
      providerCode: refused.providerCode,
    });
    expect(simulator.requests).toHaveLength(0);
  });

  it('refuses an address SES could not take, naming the field', async () => {
    const provider = await make();
    const refused = await failure(
      provider.validate!(email('v-bad', { cc: [{ email: 'not-an-address' }] }), { signal: signal() }),
    );
    expect(refused).toMatchObject({ kind: 'permanent', providerCode: 'MSG_INVALID_CC' });
    expect(refused.message).toContain('cc.0.email');
    expect(simulator.requests).toHaveLength(0);
  });
});
