import type { DeliveryEvent, Provider } from '@msg/core';
import { type SimulatorServer, type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailgunProvider } from '../src/index.js';
import { createMailgunSimulator, parseAddressList } from '../src/simulator.js';
import { ACCOUNT_A, emailMessage } from './helpers.js';

let simulator: SimulatorServer;
let receiver: WebhookReceiver;
let provider: Provider<'email'>;
let baseUrl: string;
const signal = () => new AbortController().signal;
const authorization = `Basic ${Buffer.from(`api:${ACCOUNT_A.apiKey}`).toString('base64')}`;

async function post(form: FormData, auth = authorization, domain = 'mg.acme.example') {
  const response = await fetch(`${baseUrl}/v3/${domain}/messages`, {
    method: 'POST',
    headers: { authorization: auth },
    body: form,
  });
  return { status: response.status, text: await response.text() };
}

function form(fields: Record<string, string | string[]>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) data.append(name, item);
  }
  return data;
}

async function events(count: number): Promise<DeliveryEvent[]> {
  const received = await receiver.waitFor(count);
  const results = await Promise.all(received.map((request) => provider.parseWebhook!(request)));
  return results.flatMap((result) => result.events);
}

beforeAll(async () => {
  receiver = await webhookReceiver();
  simulator = createMailgunSimulator({ accounts: [ACCOUNT_A] });
  baseUrl = await simulator.start();
  simulator.callbackDelayMs = 5;
  provider = createMailgunProvider('mailgun-sim', {
    apiKey: ACCOUNT_A.apiKey,
    domain: 'mg.acme.example',
    baseUrl,
    webhookSigningKey: ACCOUNT_A.signingKey,
  });
});
afterEach(async () => {
  await simulator.callbacks.idle();
  simulator.reset();
  simulator.callbackUrl = undefined;
  receiver.received.length = 0;
});
afterAll(async () => {
  await provider.close();
  await simulator.stop();
  await receiver.close();
});

describe('simulator webhooks', () => {
  it('posts signed accepted + outcome events that parseWebhook accepts and correlates', async () => {
    simulator.callbackUrl = `${receiver.url}/webhooks/mailgun`;
    simulator.outcomes.set('bob@example.com', 'bounced');
    const result = await provider.send(
      emailMessage('single-1', { to: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }] }),
      { signal: signal() },
    );
    const parsed = await events(4);
    const summary = parsed.map((event) => `${event.recipient}:${event.status}`).sort();
    expect(summary).toEqual([
      'alice@example.com:delivered',
      'alice@example.com:queued',
      'bob@example.com:bounced',
      'bob@example.com:queued',
    ]);
    for (const event of parsed) {
      expect(event.providerMessageId).toBe(result.providerMessageId);
      expect(event.messageId).toBe('single-1');
    }
  });

  it('gives every batch recipient its own msg_id through recipient-variables', async () => {
    simulator.callbackUrl = receiver.url;
    simulator.outcomes.set('b@example.com', 'opened');
    const messages = ['a', 'b', 'c'].map((name) =>
      emailMessage(`batch-${name}`, { to: [{ email: `${name}@example.com` }] }),
    );
    const results = await provider.sendBatch!(messages, { signal: signal() });
    expect(results.every((result) => result.ok)).toBe(true);
    const parsed = await events(7);
    const byMessage = new Map<string, string[]>();
    for (const event of parsed) {
      byMessage.set(event.messageId!, [...(byMessage.get(event.messageId!) ?? []), event.status]);
      expect(event.recipient).toBe(`${event.messageId!.slice(-1)}@example.com`);
    }
    expect([...byMessage.keys()].sort()).toEqual(['batch-a', 'batch-b', 'batch-c']);
    expect(byMessage.get('batch-b')?.sort()).toEqual(['delivered', 'opened', 'queued']);
  });

  it('sends nothing when no webhook URL is set', async () => {
    const before = simulator.callbacks.delivered.length;
    await provider.send(emailMessage('quiet'), { signal: signal() });
    await simulator.callbacks.idle();
    expect(simulator.callbacks.delivered).toHaveLength(before);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('simulator API', () => {
  const valid = { from: 'a@mg.acme.example', to: 'b@example.com', subject: 'Hi', text: 'Hello' };

  it('answers like Mailgun for missing fields', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...valid, from: '' }, "'from' parameter is missing"],
      [{ ...valid, to: '' }, "'to' parameter is missing"],
      [{ ...valid, subject: '' }, "'subject' parameter is missing"],
      [{ ...valid, text: '' }, "Need at least one of 'text', 'html' or 'template' parameters specified"],
      [{ ...valid, to: 'nobody' }, "'to' parameter is not a valid address. please check documentation"],
      [{ ...valid, 'recipient-variables': '{nope' }, "'recipient-variables' parameter is not a valid JSON"],
    ];
    for (const [fields, message] of cases) {
      const answer = await post(form(fields));
      expect(answer.status, message).toBe(400);
      expect(JSON.parse(answer.text)).toEqual({ message });
    }
  });

  it('refuses a wrong key with 401 Forbidden and an unknown domain with 404', async () => {
    const wrong = `Basic ${Buffer.from('api:key-wrong').toString('base64')}`;
    expect(await post(form(valid), wrong)).toEqual({ status: 401, text: 'Forbidden' });
    const unknown = await post(form(valid), authorization, 'mg.unknown.example');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toEqual({ message: 'Domain not found: mg.unknown.example' });
  });

  it('accepts a valid message with a bracketed id', async () => {
    const answer = await post(form(valid));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({
      id: expect.stringMatching(/^<.+@mg\.acme\.example>$/),
      message: 'Queued. Thank you.',
    });
  });

  it('takes URL-encoded bodies too, and refuses other content types', async () => {
    const encoded = await fetch(`${baseUrl}/v3/mg.acme.example/messages`, {
      method: 'POST',
      headers: { authorization },
      body: new URLSearchParams(valid),
    });
    expect(encoded.status).toBe(200);
    const json = await fetch(`${baseUrl}/v3/mg.acme.example/messages`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(valid),
    });
    expect(json.status).toBe(400);
  });

  it('reads address lists with display names and quoted commas', () => {
    expect(parseAddressList('a@x.com, "Doe, Jane" <jane@x.com>, Bob <bob@x.com>, nope')).toEqual([
      'a@x.com',
      'jane@x.com',
      'bob@x.com',
      undefined,
    ]);
  });
});
