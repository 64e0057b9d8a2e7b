import type { Provider } from '@msg/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResendPluginOptions } from '../src/index.js';
import { createResendSimulator } from '../src/simulator.js';
import { email, makeProvider, optionsFor, signal } from './helpers.js';

const simulator = createResendSimulator({ rateLimit: 1000 });
const providers: Provider<'email'>[] = [];
const make = async (overrides: Partial<ResendPluginOptions> = {}) => {
  const provider = await makeProvider(optionsFor(simulator, simulator.account(), overrides));
  providers.push(provider);
  return provider;
};
const batchRequests = () => simulator.requests.filter((request) => request.path === '/emails/batch');

beforeAll(() => simulator.start());
afterEach(() => simulator.reset());
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('sendBatch', () => {
  it('sends up to 100 emails per call, with one Idempotency-Key per chunk, results in order', async () => {
    const provider = await make();
    const messages = Array.from({ length: 150 }, (_, index) =>
      email(`b-${index}`, { to: [{ email: `r${index}@example.com` }] }),
    );
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.map((result) => result.messageId)).toEqual(messages.map((message) => message.id));
    expect(results.every((result) => result.ok)).toBe(true);
    const requests = batchRequests();
    expect(
      requests.map((request) => (JSON.parse(request.body.toString('utf8')) as unknown[]).length).sort(),
    ).toEqual([100, 50]);
    for (const request of requests) {
      expect(request.headers['idempotency-key']).toMatch(/^batch-[0-9a-f]{64}$/);
      expect(request.headers['x-batch-validation']).toBe('permissive');
    }
    const ids = results.map((result) => (result.ok ? result.result.providerMessageId : ''));
    expect(new Set(ids).size).toBe(150);
    expect(simulator.emails.find((entry) => entry.id === ids[120])?.body.to).toEqual(['r120@example.com']);
  });

  it('permissive: fails only the invalid email, keeps the ids of the others in place', async () => {
    const provider = await make();
    const results = await provider.sendBatch!(
      [email('ok-1'), email('bad', { to: [{ email: 'nope' }] }), email('ok-2')],
      { signal: signal() },
    );
    expect(results.map((result) => [result.messageId, result.ok])).toEqual([
      ['ok-1', true],
      ['bad', false],
      ['ok-2', true],
    ]);
    const bad = results[1];
    expect(bad?.ok === false && bad.error).toMatchObject({
      kind: 'permanent',
      providerCode: 'validation_error',
    });
    const accepted = simulator.emails.map((entry) => entry.id);
    expect(
      results
        .filter((result) => result.ok)
        .map((result) => (result.ok ? result.result.providerMessageId : '')),
    ).toEqual(accepted);
  });

  it('strict: one invalid email fails the whole call', async () => {
    const provider = await make({ batchValidation: 'strict' });
    const results = await provider.sendBatch!([email('ok-1'), email('bad', { to: [{ email: 'nope' }] })], {
      signal: signal(),
    });
    expect(results.every((result) => !result.ok && result.error.providerCode === 'validation_error')).toBe(
      true,
    );
    expect(simulator.emails).toHaveLength(0);
    expect(batchRequests()[0]?.headers['x-batch-validation']).toBe('strict');
  });

  it('sends emails with attachments one by one (the batch endpoint takes none)', async () => {
    const provider = await make();
    const attachment = {
      filename: 'a.txt',
      contentType: 'text/plain',
      content: new TextEncoder().encode('x'),
    };
    const results = await provider.sendBatch!(
      [email('plain'), email('with-file', { attachments: [attachment] })],
      { signal: signal() },
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(batchRequests()).toHaveLength(1);
    expect(simulator.requests.filter((request) => request.path === '/emails')).toHaveLength(1);
  });

  it('gives every message of a refused call the same error', async () => {
    const provider = await make();
    simulator.failNext('rate-limit-exceeded');
    const results = await provider.sendBatch!([email('r-1'), email('r-2')], { signal: signal() });
    for (const result of results) {
      expect(result.ok === false && result.error).toMatchObject({ kind: 'rate-limited', retryAfterMs: 1000 });
    }
  });

  it('sends a retried batch once (same key, same body)', async () => {
    const provider = await make();
    const messages = [email('same-1'), email('same-2')];
    const first = await provider.sendBatch!(messages, { signal: signal() });
    const second = await provider.sendBatch!(messages, { signal: signal() });
    expect(second).toEqual(first);
    expect(simulator.emails).toHaveLength(2);
  });
});
