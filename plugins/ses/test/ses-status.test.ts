import { createProvider, type DeliveryEvent, type Provider, silentLogger } from '@msg/core';
import { rejectionOf, type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSesPlugin, type SesPluginOptions } from '../src/index.js';
import { createSesSimulator, type SesSimulator } from '../src/simulator.js';
import { email } from './helpers.js';

const ACCESS_KEY = 'AKIASTATUSTESTS00001';
const OTHER_KEY = 'AKIASTATUSTESTS00002';
let simulator: SesSimulator;
let receiver: WebhookReceiver;
const providers: Provider[] = [];
const signal = () => new AbortController().signal;

async function make(overrides: Partial<SesPluginOptions> = {}): Promise<Provider<'email'>> {
  const provider = await createProvider(
    createSesPlugin({ certificateFetcher: simulator.certificateFetcher }),
    {
      region: 'us-east-1',
      baseUrl: simulator.url,
      accessKeyId: ACCESS_KEY,
      secretAccessKey: 'status-secret',
      allowedTopicArns: [simulator.topicArn],
      ...overrides,
    },
    { instanceId: 'ses-status', logger: silentLogger, now: Date.now },
  );
  providers.push(provider);
  return provider as Provider<'email'>;
}

const query = (providerMessageId: string, messageId = 'm-1') => ({
  providerMessageId,
  messageId,
  sentAt: new Date(),
});

/** Comparable parts of an event, whichever way it came. */
const comparable = (event: DeliveryEvent) => ({
  status: event.status,
  providerStatus: event.providerStatus,
  recipient: event.recipient,
  messageId: event.messageId,
  bounceType: event.bounceType,
  errorCode: event.error?.code,
});

beforeAll(async () => {
  simulator = createSesSimulator({
    accounts: { [ACCESS_KEY]: 'status-secret', [OTHER_KEY]: 'other-secret' },
    verifiedIdentities: ['example.com'],
  });
  await simulator.start();
  simulator.callbackDelayMs = 5;
  receiver = await webhookReceiver();
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
  it("reads GetMessageInsights and maps each recipient's events as the webhook does", async () => {
    simulator.callbackUrl = `${receiver.url}/webhooks/ses-status`;
    simulator.outcomes.set('bob@example.org', 'bounced');
    const provider = await make();
    const sent = await provider.send(
      email('m-insights', { to: [{ email: 'alice@example.org' }, { email: 'bob@example.org' }] }),
      { signal: signal() },
    );
    await simulator.callbacks.idle();
    const fromWebhooks = (
      await Promise.all(receiver.received.map((request) => provider.parseWebhook!(request)))
    ).flatMap((result) => result.events);
    const looked = await provider.getStatus!(query(sent.providerMessageId, 'm-insights'), {
      signal: signal(),
    });
    const order = (events: DeliveryEvent[]) =>
      events
        .map(comparable)
        .sort((left, right) =>
          `${left.recipient}${left.providerStatus}`.localeCompare(
            `${right.recipient}${right.providerStatus}`,
          ),
        );
    expect(order(looked)).toEqual(order(fromWebhooks));
    expect(looked.find((event) => event.status === 'bounced')).toMatchObject({
      recipient: 'bob@example.org',
      bounceType: 'permanent',
      error: { code: '5.1.1', message: 'smtp; 550 5.1.1 user unknown' },
    });
    const request = simulator.requests.at(-1);
    expect(request).toMatchObject({
      method: 'GET',
      path: `/v2/email/insights/${sent.providerMessageId}`,
      credential: ACCESS_KEY,
    });
  });

  it('gives the same event ids when asked again, and none for an unknown message or another account', async () => {
    const provider = await make();
    const sent = await provider.send(email('m-again'), { signal: signal() });
    const first = await provider.getStatus!(query(sent.providerMessageId), { signal: signal() });
    const again = await provider.getStatus!(query(sent.providerMessageId), { signal: signal() });
    expect(first.map((event) => event.status)).toEqual(['sent', 'delivered']);
    expect(again.map((event) => event.eventId)).toEqual(first.map((event) => event.eventId));
    await expect(
      provider.getStatus!(query('0100000000000000-unknown-000000'), { signal: signal() }),
    ).resolves.toEqual([]);
    const other = await make({ accessKeyId: OTHER_KEY, secretAccessKey: 'other-secret' });
    await expect(other.getStatus!(query(sent.providerMessageId), { signal: signal() })).resolves.toEqual([]);
  });

  it('maps errors as send does, and stops at an abort', async () => {
    const provider = await make();
    simulator.failNext('TooManyRequestsException');
    expect(await rejectionOf(provider.getStatus!(query('x'), { signal: signal() }))).toMatchObject({
      kind: 'rate-limited',
      providerCode: 'TooManyRequestsException',
    });
    const wrong = await make({ secretAccessKey: 'not-the-secret' });
    expect(await rejectionOf(wrong.getStatus!(query('x'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
    });
    simulator.faultNext({ hang: true });
    const during = new AbortController();
    const pending = provider.getStatus!(query('x'), { signal: during.signal });
    setTimeout(() => during.abort(new Error('timed out')), 50);
    expect((await rejectionOf(pending)).providerCode).toBe('MSG_ABORTED');
  });
});
