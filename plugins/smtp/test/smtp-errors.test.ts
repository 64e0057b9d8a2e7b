import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { rejectionOf } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmtpPluginOptions } from '../src/index.js';
import { createSmtpSimulator } from '../src/simulator.js';
import { classifyReply } from '../src/smtp-error.js';
import { email, makeProvider, optionsFor, type SmtpTestProvider, signal } from './helpers.js';

const simulator = createSmtpSimulator({ dailyLimit: 3, size: 64 * 1024, maxRecipients: 3 });
const providers: SmtpTestProvider[] = [];
const make = async (overrides: Partial<SmtpPluginOptions> = {}) => {
  const provider = await makeProvider(optionsFor(simulator, simulator.account(), overrides));
  providers.push(provider);
  return provider;
};
const send = (provider: SmtpTestProvider, id = `m-${Math.random().toString(36).slice(2)}`) =>
  provider.send(email(id), { signal: signal() });

beforeAll(() => simulator.start());
afterEach(() => simulator.reset());
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('errors at connection and login (a new connection each)', () => {
  it('maps a refused login to configuration, with the reply code', async () => {
    const error = await rejectionOf(send(await make({ password: 'not-the-password' })));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '535 5.7.8' });
    expect(error.message).toContain('Username and Password not accepted');
    expect(error.message).not.toContain('not-the-password');
  });

  it('maps too many login attempts (454 4.7.0) to rate-limited', async () => {
    simulator.failNext('too-many-logins');
    const error = await rejectionOf(send(await make()));
    expect(error).toMatchObject({ kind: 'rate-limited', providerCode: '454 4.7.0' });
  });

  it('maps a refused connection to transient: nothing was sent', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejectionOf(send(await make({ port })));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'ESOCKET' });
  });

  it('maps a server that never greets to transient (greeting timeout)', async () => {
    simulator.faultNext({ at: 'greeting', hang: true });
    const error = await rejectionOf(send(await make({ greetingTimeoutMs: 300 })));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'ETIMEDOUT' });
    expect(error.message).toContain('GREETING_TIMEOUT');
  });

  it('maps a drop right after the greeting to transient', async () => {
    simulator.faultNext({ at: 'greeting', reset: true });
    const error = await rejectionOf(send(await make()));
    expect(error.kind).toBe('transient');
  });

  it('maps an untrusted certificate and a relay without STARTTLS to configuration', async () => {
    const untrusted = await rejectionOf(send(await make({ tlsCa: undefined })));
    expect(untrusted).toMatchObject({ kind: 'configuration', providerCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const wrongName = await rejectionOf(send(await make({ tlsServername: 'smtp.other.example' })));
    expect(wrongName).toMatchObject({ kind: 'configuration', providerCode: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const plain = createSmtpSimulator({ tls: 'none' });
    await plain.start();
    try {
      const provider = await makeProvider(optionsFor(plain, plain.account(), { tls: 'starttls' }));
      providers.push(provider);
      const error = await rejectionOf(send(provider));
      expect(error).toMatchObject({ kind: 'configuration', providerCode: 'ETLS' });
    } finally {
      await plain.stop();
    }
  });
});

describe('errors after the message data went out', () => {
  it('reports a drop after the final dot as ambiguous', async () => {
    const provider = await make();
    await send(provider, 'warm-up');
    simulator.faultNext({ reset: true });
    const error = await rejectionOf(send(provider));
    expect(error).toMatchObject({ kind: 'ambiguous', providerCode: 'ECONNECTION' });
    expect(simulator.requests.at(-1)?.credential).toBe(simulator.account().label);
  });

  it('reports a server that never answers the final dot as ambiguous once the socket times out', async () => {
    const provider = await make({ socketTimeoutMs: 300 });
    await send(provider, 'warm-up');
    simulator.faultNext({ hang: true });
    const error = await rejectionOf(send(provider));
    expect(error).toMatchObject({ kind: 'ambiguous', providerCode: 'ETIMEDOUT' });
    expect(error.message).toContain('SOCKET_TIMEOUT');
  });

  it('reports an abort while the server sits on the final dot as ambiguous, promptly', async () => {
    const provider = await make();
    await send(provider, 'warm-up');
    simulator.faultNext({ hang: true });
    const controller = new AbortController();
    const pending = rejectionOf(provider.send(email('aborted'), { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('deadline')), 100);
    const started = Date.now();
    const error = await pending;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({ kind: 'ambiguous', providerCode: 'MSG_ABORTED' });
  });
});

describe('limits and quotas', () => {
  it('counts messages per account per day and answers 550 5.4.5 past the quota, as rate-limited for a day', async () => {
    const provider = await make();
    for (const id of ['q-1', 'q-2', 'q-3']) await send(provider, id);
    const error = await rejectionOf(send(provider, 'q-4'));
    expect(error).toMatchObject({ kind: 'rate-limited', providerCode: '550 5.4.5' });
    expect(error.retryAfterMs).toBe(24 * 60 * 60 * 1000);
  });

  it('refuses a message over the SIZE limit with 552 5.3.4 (permanent)', async () => {
    const provider = await make();
    const error = await rejectionOf(
      provider.send(email('big', { text: 'x'.repeat(100 * 1024) }), { signal: signal() }),
    );
    expect(error).toMatchObject({ kind: 'permanent', providerCode: '552 5.3.4' });
  });

  it('answers 452 4.5.3 past the RCPTs a transaction may have (permanent: our batching is wrong)', async () => {
    const provider = await make({ maxRecipients: 10 });
    const to = ['a', 'b', 'c', 'd'].map((name) => ({ email: `${name}@example.com` }));
    const result = await provider.send(email('four', { to }), { signal: signal() });
    expect(result.details?.rejected).toBe('d@example.com');
    expect(provider.events[0]).toMatchObject({
      recipient: 'd@example.com',
      status: 'failed',
      error: { code: '4.5.3' },
    });
  });

  it('loses the 421 a relay gives at MAIL FROM on a reused connection, reporting a closed connection (transient)', async () => {
    const provider = await make({ maxConnections: 1 });
    await send(provider, 'warm-up');
    simulator.failNext('try-again-later');
    const reused = await rejectionOf(send(provider));
    expect(reused).toMatchObject({ kind: 'transient', providerCode: 'ECONNECTION' });
    // On a fresh connection the reply comes through.
    const fresh = await make();
    simulator.failNext('try-again-later');
    const error = await rejectionOf(send(fresh));
    expect(error).toMatchObject({ kind: 'rate-limited', providerCode: '421 4.7.0' });
  });
});

describe('classifyReply', () => {
  it.each([
    [550, '550 5.4.5 Daily user sending limit exceeded', 'rate-limited'],
    [550, '550 5.1.1 no such user', 'permanent'],
    [550, '550-5.7.26 unauthenticated sender', 'configuration'],
    [552, '552 5.2.2 mailbox full', 'transient'],
    [552, '552 5.3.4 too big', 'permanent'],
    [552, '552 message too big (no enhanced code)', 'transient'],
    [421, '421 4.7.0 Try again later', 'rate-limited'],
    [421, '421 4.3.0 Temporary System Problem', 'transient'],
    [452, '452 4.5.3 too many recipients', 'permanent'],
    [535, '535 Authentication failed', 'configuration'],
    [550, '550 5.7.99 some future policy code', 'configuration'],
    [554, '554 Transaction failed', 'permanent'],
    [451, '451 local error', 'transient'],
  ] as const)('%s %s -> %s', (code, response, kind) => {
    expect(classifyReply(code, response)).toBe(kind);
  });
});
