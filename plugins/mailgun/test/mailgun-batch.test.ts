import type { BatchItemResult, EmailMessage, Provider } from '@msg/core';
import type { RecordedRequest, SimulatorServer } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailgunProvider } from '../src/index.js';
import { planBatch } from '../src/mailgun-batch.js';
import { createMailgunSimulator } from '../src/simulator.js';
import { ACCOUNT_A, emailMessage } from './helpers.js';

let simulator: SimulatorServer;
let provider: Provider<'email'>;
const signal = () => new AbortController().signal;

function formOf(request: RecordedRequest): Promise<FormData> {
  const contentType = String(request.headers['content-type']);
  return new Response(request.body, { headers: { 'content-type': contentType } }).formData();
}

function to(email: string, id: string, overrides: Partial<EmailMessage> = {}): EmailMessage {
  return emailMessage(id, { to: [{ email }], ...overrides });
}

function providerIds(results: BatchItemResult[]): Array<string | undefined> {
  return results.map((result) => (result.ok ? result.result.providerMessageId : undefined));
}

beforeAll(async () => {
  simulator = createMailgunSimulator({ accounts: [ACCOUNT_A] });
  const baseUrl = await simulator.start();
  provider = createMailgunProvider('mailgun-batch', {
    apiKey: ACCOUNT_A.apiKey,
    domain: 'mg.acme.example',
    baseUrl,
  });
});
afterEach(() => simulator.reset());
afterAll(async () => {
  await provider.close();
  await simulator.stop();
});

describe('sendBatch', () => {
  it('sends messages sharing content as one request with recipient-variables carrying each msg_id', async () => {
    const messages = [to('a@example.com', 'm1'), to('b@example.com', 'm2'), to('c@example.com', 'm3')];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(simulator.requests).toHaveLength(1);
    const form = await formOf(simulator.requests[0]!);
    expect(form.getAll('to')).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    expect(JSON.parse(String(form.get('recipient-variables')))).toEqual({
      'a@example.com': { msg_id: 'm1' },
      'b@example.com': { msg_id: 'm2' },
      'c@example.com': { msg_id: 'm3' },
    });
    expect(form.get('v:msg_id')).toBe('%recipient.msg_id%');
    expect(results.map((result) => [result.messageId, result.ok])).toEqual([
      ['m1', true],
      ['m2', true],
      ['m3', true],
    ]);
    // One Mailgun message id for the request: events are told apart by recipient and msg_id.
    expect(new Set(providerIds(results)).size).toBe(1);
  });

  it('sends alone a message with several recipients, cc, attachments or other content, keeping order', async () => {
    const messages = [
      to('a@example.com', 'shared-1'),
      emailMessage('two-to', { to: [{ email: 'x@example.com' }, { email: 'y@example.com' }] }),
      to('b@example.com', 'with-cc', { cc: [{ email: 'c@example.com' }] }),
      to('d@example.com', 'other-subject', { subject: 'Different' }),
      to('e@example.com', 'attached', {
        attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: new Uint8Array([65]) }],
      }),
      to('f@example.com', 'shared-2'),
    ];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.map((result) => result.messageId)).toEqual(messages.map((message) => message.id));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(simulator.requests).toHaveLength(5);
    const ids = providerIds(results);
    expect(ids[0]).toBe(ids[5]);
    expect(new Set(ids).size).toBe(5);
  });

  it('never names one address twice in a request (recipient-variables are keyed by address)', () => {
    const plan = planBatch(
      [to('a@example.com', 'm1'), to('A@example.com', 'm2'), to('b@example.com', 'm3')],
      {},
    );
    expect(plan.map((request) => request.messages.map((message) => message.id))).toEqual([
      ['m1', 'm3'],
      ['m2'],
    ]);
    expect(plan[1]?.data['v:msg_id']).toBe('m2');
  });

  it('splits a group at 1000 recipients', () => {
    const messages = Array.from({ length: 1001 }, (_, index) => to(`r${index}@example.com`, `m${index}`));
    const plan = planBatch(messages, {});
    expect(plan.map((request) => request.messages.length)).toEqual([1000, 1]);
    expect((plan[0]!.data.to as string[]).length).toBe(1000);
  });

  it('fails every message of a request that failed, and only those', async () => {
    simulator.failNext('server-error');
    const messages = [
      to('a@example.com', 'm1'),
      to('b@example.com', 'm2'),
      to('c@example.com', 'other', { subject: 'x' }),
    ];
    const results = await provider.sendBatch!(messages, { signal: signal() });
    const failed = results.filter((result) => !result.ok);
    expect(failed.length === 2 || failed.length === 1).toBe(true);
    for (const result of failed) expect(result.ok ? undefined : result.error.kind).toBe('transient');
    const failedIds = failed.map((result) => result.messageId).sort();
    expect([['m1', 'm2'], ['other']]).toContainEqual(failedIds);
  });
});
