import { createProvider, type DeliveryEvent, type Provider, ProviderError, silentLogger } from '@msg/core';
import { rejectionOf, type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import twilioPlugin from '../src/index.js';
import type { TwilioSimulator } from '../src/simulator.js';
import { FIRST_ACCOUNT, optionsFor, SECOND_ACCOUNT, signal, startSimulator } from './fixtures.js';

let simulator: TwilioSimulator;
let receiver: WebhookReceiver;
const providers: Provider[] = [];

async function make(account = FIRST_ACCOUNT, instanceId = 'twilio-status') {
  const provider = await createProvider(twilioPlugin, optionsFor(simulator, account), {
    instanceId,
    logger: silentLogger,
    now: Date.now,
    webhookUrl: `${receiver.url}/webhooks/${instanceId}`,
  });
  providers.push(provider);
  return provider as Provider<'sms'>;
}

const query = (providerMessageId: string, messageId = 'm-1') => ({
  providerMessageId,
  messageId,
  sentAt: new Date(),
});

/** Sends a message and waits until the simulator has sent all its status callbacks. */
async function sentAndSettled(provider: Provider<'sms'>, id: string, to = '+260971234567') {
  const result = await provider.send({ id, channel: 'sms', to, text: 'hi' }, { signal: signal() });
  await simulator.callbacks.idle();
  return result;
}

/** The events a status callback of this message gives, for comparison with the look-up. */
async function callbackEvents(
  provider: Provider<'sms'>,
  providerMessageId: string,
): Promise<DeliveryEvent[]> {
  const callbacks = receiver.received.filter(
    (callback) =>
      new URLSearchParams(Buffer.from(callback.rawBody).toString('utf8')).get('MessageSid') ===
      providerMessageId,
  );
  return (await Promise.all(callbacks.map((callback) => provider.parseWebhook!(callback)))).flatMap(
    (result) => result.events,
  );
}

beforeAll(async () => {
  simulator = await startSimulator(5);
  receiver = await webhookReceiver();
});
afterEach(() => {
  simulator.reset();
  simulator.callbackDelayMs = 5;
  receiver.received.length = 0;
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
  await receiver.close();
});

describe('getStatus', () => {
  it('reads the message resource by SID and maps its status as the status callback does', async () => {
    const provider = await make();
    const sent = await sentAndSettled(provider, 'm-delivered');
    const events = await provider.getStatus!(query(sent.providerMessageId, 'm-delivered'), {
      signal: signal(),
    });
    expect(events).toEqual([
      expect.objectContaining({
        providerMessageId: sent.providerMessageId,
        messageId: 'm-delivered',
        status: 'delivered',
        providerStatus: 'delivered',
        recipient: '+260971234567',
        error: undefined,
        details: { accountSid: FIRST_ACCOUNT.sid },
      }),
    ]);
    const final = (await callbackEvents(provider, sent.providerMessageId)).find(
      (event) => event.status === 'delivered',
    );
    expect(final).toMatchObject({ status: events[0]?.status, providerStatus: events[0]?.providerStatus });
    const request = simulator.requests.at(-1);
    expect(request).toMatchObject({
      method: 'GET',
      path: `/2010-04-01/Accounts/${FIRST_ACCOUNT.sid}/Messages/${sent.providerMessageId}.json`,
      credential: FIRST_ACCOUNT.sid,
    });
  });

  it('carries the error code of an undelivered message, as the callback does', async () => {
    simulator.outcomes.set('+260970000011', 'undelivered:30005');
    const provider = await make();
    const sent = await sentAndSettled(provider, 'm-undelivered', '+260970000011');
    const [event] = await provider.getStatus!(query(sent.providerMessageId), { signal: signal() });
    expect(event).toMatchObject({
      status: 'undelivered',
      providerStatus: 'undelivered',
      error: { code: '30005', message: 'Unknown destination handset' },
    });
    const fromCallback = (await callbackEvents(provider, sent.providerMessageId)).find(
      (item) => item.status === 'undelivered',
    );
    expect(fromCallback?.error?.code).toBe(event?.error?.code);
  });

  it('reports where a message stands before its final status, and one event id per status', async () => {
    const provider = await make();
    simulator.callbackDelayMs = 300;
    const sent = await provider.send(
      { id: 'm-early', channel: 'sms', to: '+260971234567', text: 'hi' },
      { signal: signal() },
    );
    const [early] = await provider.getStatus!(query(sent.providerMessageId), { signal: signal() });
    expect(early).toMatchObject({ status: 'queued', providerStatus: 'queued' });
    await simulator.callbacks.idle();
    const [late] = await provider.getStatus!(query(sent.providerMessageId), { signal: signal() });
    const [again] = await provider.getStatus!(query(sent.providerMessageId), { signal: signal() });
    expect(late?.status).toBe('delivered');
    expect(late?.eventId).not.toBe(early?.eventId);
    expect(again?.eventId).toBe(late?.eventId);
  });

  it("gives no events for a message Twilio does not know, or another account's", async () => {
    const provider = await make();
    await expect(provider.getStatus!(query(`SM${'0'.repeat(32)}`), { signal: signal() })).resolves.toEqual(
      [],
    );
    const other = await make(SECOND_ACCOUNT, 'twilio-other');
    const sent = await sentAndSettled(other, 'm-other');
    await expect(provider.getStatus!(query(sent.providerMessageId), { signal: signal() })).resolves.toEqual(
      [],
    );
  });

  it('maps errors as send does: rate limits, server errors, bad credentials', async () => {
    const provider = await make();
    const sent = await sentAndSettled(provider, 'm-errors');
    const lookup = () => provider.getStatus!(query(sent.providerMessageId), { signal: signal() });
    simulator.failNext('20429');
    expect(await rejectionOf(lookup())).toMatchObject({
      kind: 'rate-limited',
      providerCode: '20429',
      retryAfterMs: 2000,
    });
    simulator.failNext('20500');
    expect(await rejectionOf(lookup())).toMatchObject({ kind: 'transient', providerCode: '20500' });
    simulator.faultNext({ errorRate: 1 });
    expect(await rejectionOf(lookup())).toMatchObject({ kind: 'transient', providerCode: 'HTTP_500' });
    const wrongToken = await createProvider(
      twilioPlugin,
      { ...optionsFor(simulator), authToken: 'not-the-token' },
      { instanceId: 'twilio-wrong', logger: silentLogger, now: Date.now },
    );
    providers.push(wrongToken);
    const refused = await rejectionOf(
      wrongToken.getStatus!(query(sent.providerMessageId), { signal: signal() }),
    );
    expect(refused).toMatchObject({ kind: 'configuration', providerCode: '20003' });
  });

  it('stops at an abort, before sending or while waiting for the answer', async () => {
    const provider = await make();
    const before = new AbortController();
    before.abort(new Error('gave up'));
    await expect(provider.getStatus!(query('SM1'), { signal: before.signal })).rejects.toThrow('gave up');
    expect(simulator.requests).toHaveLength(0);
    simulator.faultNext({ hang: true });
    const during = new AbortController();
    const pending = provider.getStatus!(query('SM1'), { signal: during.signal });
    setTimeout(() => during.abort(new Error('timed out')), 50);
    const error = await rejectionOf(pending);
    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error.providerCode).toBe('MSG_ABORTED');
  });

  it('refuses after close', async () => {
    const provider = await make();
    await provider.close();
    expect(await rejectionOf(provider.getStatus!(query('SM1'), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
    });
  });
});
