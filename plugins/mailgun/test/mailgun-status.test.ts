import { type DeliveryEvent, type Provider, ProviderError } from '@msg/core';
import { rejectionOf, type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailgunProvider, type MailgunProviderSettings } from '../src/index.js';
import { createMailgunSimulator, type MailgunSimulator } from '../src/simulator.js';
import { ACCOUNT_A, ACCOUNT_B, emailMessage } from './helpers.js';

const PRIMARY_KEY = 'signing-key-of-the-primary-account';
/** A subaccount: its webhooks carry `parent-signature` under the primary account's key. */
const SUBACCOUNT = {
  apiKey: 'key-subaccount-0123456789abcdef',
  signingKey: 'signing-key-subaccount',
  domains: ['mg.sub.example'],
  parentSigningKey: PRIMARY_KEY,
};

let simulator: MailgunSimulator;
/** The simulator's clock runs this far ahead, so a test can let its events fall due at once. */
let aheadMs = 0;
const allEventsDue = () => {
  aheadMs += 60_000;
};
let receiver: WebhookReceiver;
let baseUrl: string;
const providers: Provider<'email'>[] = [];
const signal = () => new AbortController().signal;

function make(settings: Partial<MailgunProviderSettings> = {}): Provider<'email'> {
  const provider = createMailgunProvider('mailgun-status', {
    apiKey: ACCOUNT_A.apiKey,
    domain: 'mg.acme.example',
    baseUrl,
    webhookSigningKey: ACCOUNT_A.signingKey,
    ...settings,
  });
  providers.push(provider);
  return provider;
}

/** What the webhooks of this message said, parsed by the same provider. */
async function webhookEvents(provider: Provider<'email'>, count: number): Promise<DeliveryEvent[]> {
  const received = await receiver.waitFor(count);
  return (await Promise.all(received.map((request) => provider.parseWebhook!(request)))).flatMap(
    (result) => result.events,
  );
}

const summary = (events: readonly DeliveryEvent[]) =>
  events.map((event) => [
    event.status,
    event.providerStatus,
    event.eventId,
    event.recipient,
    event.messageId,
  ]);

beforeAll(async () => {
  receiver = await webhookReceiver();
  simulator = createMailgunSimulator({
    accounts: [ACCOUNT_A, ACCOUNT_B, SUBACCOUNT],
    now: () => Date.now() + aheadMs,
  });
  baseUrl = await simulator.start();
  simulator.callbackDelayMs = 5;
});
afterEach(async () => {
  await simulator.callbacks.idle();
  simulator.reset();
  simulator.callbackUrl = undefined;
  receiver.received.length = 0;
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
  await receiver.close();
});

describe('getStatus', () => {
  it("reads the message's events from the Events API, mapped exactly as its webhooks", async () => {
    simulator.callbackUrl = `${receiver.url}/webhooks/mailgun`;
    simulator.outcomes.set('bob@example.com', 'bounced');
    const provider = make();
    const sentAt = new Date();
    const result = await provider.send(emailMessage('m-status', { to: [{ email: 'bob@example.com' }] }), {
      signal: signal(),
    });
    const fromWebhooks = await webhookEvents(provider, 2);
    allEventsDue();
    const looked = await provider.getStatus!(
      { providerMessageId: result.providerMessageId, messageId: 'm-status', sentAt },
      { signal: signal() },
    );
    expect(looked.map((event) => event.status)).toEqual(['queued', 'bounced']);
    expect(summary(looked)).toEqual(
      summary(
        [...fromWebhooks].sort((left, right) => left.occurredAt.getTime() - right.occurredAt.getTime()),
      ),
    );
    expect(looked[1]).toMatchObject({ bounceType: 'permanent', error: { code: '550' } });
    const request = simulator.requests.at(-1);
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe('/v3/mg.acme.example/events');
    const url = new URL(request?.url ?? '');
    expect(url.searchParams.get('message-id')).toBe(result.providerMessageId);
    expect(url.searchParams.get('ascending')).toBe('yes');
    expect(Number(url.searchParams.get('begin'))).toBeLessThanOrEqual(sentAt.getTime() / 1000);
    expect(request?.credential).toBe('mg.acme.example');
  });

  it("keeps only this message's recipient when a batch shares the Mailgun message id", async () => {
    const provider = make();
    const batch = ['m-batch-1', 'm-batch-2', 'm-batch-3'].map((id, index) =>
      emailMessage(id, { to: [{ email: `user${index}@example.com` }] }),
    );
    const results = await provider.sendBatch!(batch, { signal: signal() });
    const first = results[0];
    if (!first?.ok) throw new Error('the batch failed');
    allEventsDue();
    const events = await provider.getStatus!(
      { providerMessageId: first.result.providerMessageId, messageId: 'm-batch-2', sentAt: new Date() },
      { signal: signal() },
    );
    expect(events.map((event) => [event.messageId, event.recipient, event.status])).toEqual([
      ['m-batch-2', 'user1@example.com', 'queued'],
      ['m-batch-2', 'user1@example.com', 'delivered'],
    ]);
  });

  it('follows the Events API pages when one message has more events than a page holds', async () => {
    const provider = make();
    const recipients = Array.from({ length: 160 }, (_, index) => ({ email: `r${index}@example.com` }));
    // One message to 160 recipients: 320 events, more than the 300 of one page.
    const result = await provider.send(emailMessage('m-wide', { to: recipients }), { signal: signal() });
    allEventsDue();
    const events = await provider.getStatus!(
      { providerMessageId: result.providerMessageId, messageId: 'm-wide', sentAt: new Date() },
      { signal: signal() },
    );
    expect(events).toHaveLength(320);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(320);
    expect(
      simulator.requests.filter((request) => request.path.startsWith('/v3/mg.acme.example/events')),
    ).toHaveLength(2);
  });

  it('gives no events for a message Mailgun does not know', async () => {
    await expect(
      make().getStatus!(
        {
          providerMessageId: '20240101000000.1.UNKNOWN@mg.acme.example',
          messageId: 'm-x',
          sentAt: new Date(),
        },
        { signal: signal() },
      ),
    ).resolves.toEqual([]);
  });

  it('maps errors as send does, and stops at an abort', async () => {
    const provider = make();
    const query = { providerMessageId: 'x@mg.acme.example', messageId: 'm-x', sentAt: new Date() };
    simulator.failNext('rate-limited');
    expect(await rejectionOf(provider.getStatus!(query, { signal: signal() }))).toMatchObject({
      kind: 'rate-limited',
      providerCode: '429',
      retryAfterMs: 7000,
    });
    simulator.failNext('server-error');
    expect(await rejectionOf(provider.getStatus!(query, { signal: signal() }))).toMatchObject({
      kind: 'transient',
      providerCode: '500',
    });
    const wrongKey = make({ apiKey: 'key-wrong' });
    expect(await rejectionOf(wrongKey.getStatus!(query, { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: '401',
    });
    const otherDomain = make({ domain: 'mg.other.example' });
    expect(await rejectionOf(otherDomain.getStatus!(query, { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: '404',
    });
    const before = new AbortController();
    before.abort(new Error('gave up'));
    const requests = simulator.requests.length;
    expect(await rejectionOf(provider.getStatus!(query, { signal: before.signal }))).toMatchObject({
      providerCode: 'MSG_ABORTED',
    });
    expect(simulator.requests).toHaveLength(requests);
    simulator.faultNext({ hang: true });
    const during = new AbortController();
    const pending = provider.getStatus!(query, { signal: during.signal });
    setTimeout(() => during.abort(new Error('timed out')), 50);
    const error = await rejectionOf(pending);
    expect(ProviderError.isInstance(error) && error.providerCode).toBe('MSG_ABORTED');
  });
});

describe('a subaccount in the simulator', () => {
  it('posts webhooks with parent-signature, which the primary account key verifies', async () => {
    simulator.callbackUrl = `${receiver.url}/webhooks/mailgun`;
    const sender = make({
      apiKey: SUBACCOUNT.apiKey,
      domain: 'mg.sub.example',
      webhookSigningKey: PRIMARY_KEY,
    });
    await sender.send(emailMessage('m-sub', { from: { email: 'news@mg.sub.example' } }), {
      signal: signal(),
    });
    const events = await webhookEvents(sender, 2);
    expect(events.map((event) => event.status).sort()).toEqual(['delivered', 'queued']);
    const body = JSON.parse(Buffer.from(receiver.received[0]!.rawBody).toString('utf8'));
    expect(body.signature['parent-signature']).toMatch(/^[0-9a-f]{64}$/);
  });
});
