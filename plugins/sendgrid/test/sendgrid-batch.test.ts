import type { EmailMessage, Provider } from '@msg/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planBatches } from '../src/sendgrid-request.js';
import { createSendgridSimulator } from '../src/simulator.js';
import { email, makeProvider, signal } from './helpers.js';

const simulator = createSendgridSimulator();
let provider: Provider<'email'>;

beforeAll(async () => {
  await simulator.start();
  provider = await makeProvider(simulator);
});
afterEach(() => simulator.reset());
afterAll(async () => {
  await provider.close();
  await simulator.stop();
});

const bodies = () =>
  simulator.requests.map(
    (request) =>
      JSON.parse(request.body.toString('utf8')) as {
        subject: string;
        personalizations: Array<{ to: Array<{ email: string }>; custom_args?: Record<string, string> }>;
        custom_args?: Record<string, string>;
      },
  );

describe('sendBatch', () => {
  it('packs messages with the same content into one request, one personalization each', async () => {
    const messages = [1, 2, 3].map((n) => email(`batch-${n}`, { to: [{ email: `r${n}@example.com` }] }));
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(simulator.requests).toHaveLength(1);
    const [body] = bodies();
    expect(body?.custom_args).toBeUndefined();
    expect(body?.personalizations).toEqual([
      { to: [{ email: 'r1@example.com' }], custom_args: { msg_id: 'batch-1' } },
      { to: [{ email: 'r2@example.com' }], custom_args: { msg_id: 'batch-2' } },
      { to: [{ email: 'r3@example.com' }], custom_args: { msg_id: 'batch-3' } },
    ]);
    expect(results.map((result) => result.messageId)).toEqual(['batch-1', 'batch-2', 'batch-3']);
    // One X-Message-Id per request: the messages share it; events tell them apart by msg_id.
    const ids = new Set(results.map((result) => (result.ok ? result.result.providerMessageId : 'failed')));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('sends messages that differ in content as separate requests, results in input order', async () => {
    const messages = [
      email('a-1', { subject: 'A' }),
      email('b-1', { subject: 'B' }),
      email('a-2', { subject: 'A', to: [{ email: 'other@example.com' }] }),
      email('c-1', { subject: 'A', html: '<b>different content</b>' }),
    ];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.map((result) => result.messageId)).toEqual(['a-1', 'b-1', 'a-2', 'c-1']);
    expect(results.every((result) => result.ok)).toBe(true);
    const sent = bodies()
      .map((body) => body.personalizations.length)
      .sort();
    expect(sent).toEqual([1, 1, 2]);
    const groupA = bodies().find((body) => body.personalizations.length === 2);
    expect(groupA?.subject).toBe('A');
    // A single-message request carries msg_id at the top level.
    const single = bodies().find((body) => body.subject === 'B');
    expect(single?.custom_args).toEqual({ msg_id: 'b-1' });
  });

  it('splits a group at 1000 personalizations', async () => {
    const messages = Array.from({ length: 1001 }, (_, n) =>
      email(`many-${n}`, { to: [{ email: `r${n}@example.com` }] }),
    );
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.every((result) => result.ok)).toBe(true);
    expect(
      bodies()
        .map((body) => body.personalizations.length)
        .sort((a, b) => a - b),
    ).toEqual([1, 1000]);
  });

  it('fails only the messages of a request SendGrid refused', async () => {
    const messages = [
      email('good-1', { subject: 'Good' }),
      email('bad-1', {
        subject: 'Bad',
        to: Array.from({ length: 1001 }, (_, n) => ({ email: `x${n}@example.com` })),
      }),
      email('good-2', { subject: 'Good', to: [{ email: 'second@example.com' }] }),
    ];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.map((result) => [result.messageId, result.ok])).toEqual([
      ['good-1', true],
      ['bad-1', false],
      ['good-2', true],
    ]);
    const bad = results[1];
    expect(bad?.ok === false && bad.error.kind).toBe('permanent');
    expect(bad?.ok === false && bad.error.providerCode).toBe('400');
  });

  it('reports a rate limit on every message of the refused request', async () => {
    simulator.failNext('rate-limited');
    const results = await provider.sendBatch!(
      [email('r-1'), email('r-2', { to: [{ email: 'b@example.com' }] })],
      {
        signal: signal(),
      },
    );
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.kind).toBe('rate-limited');
    }
  });
});

describe('planBatches', () => {
  const withRecipients = (id: string, count: number): EmailMessage =>
    email(id, { to: Array.from({ length: count }, (_, n) => ({ email: `${id}-${n}@example.com` })) });

  it('starts a new request when the next message would pass 1000 recipients', () => {
    const plan = planBatches([withRecipients('a', 600), withRecipients('b', 300), withRecipients('c', 200)]);
    expect(plan).toEqual([[0, 1], [2]]);
  });

  it('keeps different content apart and preserves order within a group', () => {
    const plan = planBatches([email('1'), email('2', { subject: 'other' }), email('3')]);
    expect(plan).toEqual([[0, 2], [1]]);
  });
});
