import {
  createProvider,
  type Logger,
  type PluginContext,
  type Provider,
  silentLogger,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';
import { type WebhookReceiver, waitFor, webhookReceiver } from '@msg/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import twilioPlugin from '../src/index.js';
import { signTwilioCallback, type TwilioSimulator } from '../src/simulator.js';
import { parseRawDlrDoneDate } from '../src/twilio-webhook.js';
import { FIRST_ACCOUNT, optionsFor, SECOND_ACCOUNT, signal, startSimulator } from './fixtures.js';

let simulator: TwilioSimulator;
let receiver: WebhookReceiver;
let webhookUrl: string;
const providers: Provider[] = [];
const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);

async function make(account = FIRST_ACCOUNT, logger: Logger = silentLogger, instanceId = 'twilio-main') {
  const context: PluginContext = { instanceId, logger, now: () => NOW, webhookUrl };
  const provider = await createProvider(twilioPlugin, optionsFor(simulator, account), context);
  providers.push(provider);
  return provider as Provider<'sms'>;
}

async function refusal(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(
    WebhookVerificationError.isInstance(error),
    `expected a WebhookVerificationError, got ${String(error)}`,
  ).toBe(true);
  return error as WebhookVerificationError;
}

function formCallback(token: string, url: string, fields: Record<string, string>): WebhookRequest {
  const params = new URLSearchParams(fields);
  return {
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioCallback(token, url, params),
    },
    rawBody: new TextEncoder().encode(params.toString()),
  };
}

beforeAll(async () => {
  simulator = await startSimulator(5);
  receiver = await webhookReceiver();
  webhookUrl = `${receiver.url}/webhooks/twilio-main`;
});
beforeEach(() => {
  simulator.reset();
  receiver.received.length = 0;
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
  await receiver.close();
});

describe('status callbacks from the simulator', () => {
  it('are received, accepted by parseWebhook and end in delivered', async () => {
    const provider = await make();
    const result = await provider.send(
      { id: 'm-delivered', channel: 'sms', to: '+260971234567', text: 'hi' },
      { signal: signal() },
    );
    const callbacks = await receiver.waitFor(2);
    const parsed = await Promise.all(
      callbacks.map(async (callback) => ({
        callback,
        events: (await provider.parseWebhook!(callback)).events,
      })),
    );
    const events = parsed.flatMap((entry) => entry.events);
    expect(events.map((event) => event.status).sort()).toEqual(['delivered', 'sent']);
    const delivered = events.find((event) => event.status === 'delivered')!;
    const deliveredCallback = parsed.find((entry) => entry.events.includes(delivered))!.callback;
    expect(delivered).toMatchObject({
      providerMessageId: result.providerMessageId,
      messageId: 'm-delivered',
      providerStatus: 'delivered',
      recipient: '+260971234567',
      error: undefined,
      details: { accountSid: FIRST_ACCOUNT.sid },
    });
    expect(delivered.eventId).toMatch(/^sha256:[\w-]{43}$/);
    expect(delivered.eventId).not.toContain(deliveredCallback.headers['i-twilio-idempotency-token']);
    // The carrier's done date, to the minute.
    expect(Math.abs(delivered.occurredAt.getTime() - Date.now())).toBeLessThan(120_000);
    const sent = events.find((event) => event.status === 'sent')!;
    expect(sent.occurredAt.getTime()).toBe(NOW);
  });

  it('carry the ErrorCode of an undelivered message', async () => {
    simulator.outcomes.set('+260970000001', 'undelivered:30005');
    const provider = await make();
    await provider.send(
      { id: 'm-undelivered', channel: 'sms', to: '+260970000001', text: 'hi' },
      { signal: signal() },
    );
    const callbacks = await receiver.waitFor(2);
    const events = (await Promise.all(callbacks.map((callback) => provider.parseWebhook!(callback)))).flatMap(
      (result) => result.events,
    );
    const final = events.find((event) => event.status === 'undelivered');
    expect(final?.error).toEqual({ code: '30005', message: undefined });
  });

  it('send only failed, with its code, for a message that never left', async () => {
    simulator.outcomes.set('+260970000002', 'failed');
    const provider = await make();
    await provider.send(
      { id: 'm-failed', channel: 'sms', to: '+260970000002', text: 'hi' },
      { signal: signal() },
    );
    const [callback] = await receiver.waitFor(1);
    await simulator.callbacks.idle();
    expect(receiver.received).toHaveLength(1);
    const { events } = await provider.parseWebhook!(callback!);
    expect(events).toMatchObject([{ status: 'failed', providerStatus: 'failed', error: { code: '30008' } }]);
  });

  it("are refused by the instance of another account (signed with the other account's token)", async () => {
    const first = await make(FIRST_ACCOUNT);
    const second = await make(SECOND_ACCOUNT, silentLogger, 'twilio-second');
    await first.send(
      { id: 'm-cross', channel: 'sms', to: '+260971234567', text: 'hi' },
      { signal: signal() },
    );
    const [callback] = await receiver.waitFor(1);
    await refusal(second.parseWebhook!(callback!));
    await expect(first.parseWebhook!(callback!)).resolves.toMatchObject({ events: [{ status: 'sent' }] });
  });
});

describe('parseWebhook', () => {
  it("verifies a form callback signed with twilio-node's public vector", async () => {
    const provider = await createProvider(
      twilioPlugin,
      { accountSid: FIRST_ACCOUNT.sid, authToken: '12345', from: '+15005550006', baseUrl: simulator.url },
      { instanceId: 'twilio-vector', logger: silentLogger, now: () => NOW },
    );
    providers.push(provider);
    const params = new URLSearchParams({
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675309',
      Digits: '1234',
      From: '+14158675309',
      To: '+18005551212',
    });
    const request: WebhookRequest = {
      method: 'POST',
      url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
      headers: { 'x-twilio-signature': 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' },
      rawBody: new TextEncoder().encode(params.toString()),
    };
    // A voice webhook carries no message status: verified, and nothing to record.
    await expect(provider.parseWebhook!(request)).resolves.toEqual({ events: [] });
    params.set('Digits', '1235');
    await refusal(
      provider.parseWebhook!({ ...request, rawBody: new TextEncoder().encode(params.toString()) }),
    );

    const json: WebhookRequest = {
      method: 'POST',
      url: 'https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620',
      headers: { 'content-type': 'application/json', 'x-twilio-signature': 'a9nBmqA0ju/hNViExpshrM61xv4=' },
      rawBody: new TextEncoder().encode('{"property": "value", "boolean": true}'),
    };
    await expect(provider.parseWebhook!(json)).resolves.toEqual({ events: [] });
    await refusal(
      provider.parseWebhook!({
        ...json,
        rawBody: new TextEncoder().encode('{"property": "value", "boolean": false}'),
      }),
    );
  });

  it('reads a JSON status callback verified by its body hash', async () => {
    const provider = await make();
    const body = JSON.stringify({ MessageSid: 'SM1', MessageStatus: 'delivered', To: '+260971234567' });
    const { createHash } = await import('node:crypto');
    const url = `${webhookUrl}?messageId=m-json&bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    const request: WebhookRequest = {
      method: 'POST',
      url,
      headers: { 'x-twilio-signature': signTwilioCallback(FIRST_ACCOUNT.token, url, new URLSearchParams()) },
      rawBody: new TextEncoder().encode(body),
    };
    await expect(provider.parseWebhook!(request)).resolves.toMatchObject({
      events: [
        {
          providerMessageId: 'SM1',
          status: 'delivered',
          messageId: 'm-json',
          eventId: expect.stringMatching(/^sha256:/),
        },
      ],
    });
  });

  it('refuses a missing signature and a callback whose URL was changed', async () => {
    const provider = await make();
    const good = formCallback(FIRST_ACCOUNT.token, webhookUrl, { MessageSid: 'SM2', MessageStatus: 'sent' });
    await expect(provider.parseWebhook!(good)).resolves.toMatchObject({ events: [{ status: 'sent' }] });
    const missing = await refusal(provider.parseWebhook!({ ...good, headers: {} }));
    expect(missing.message).toContain('missing X-Twilio-Signature');
    await refusal(provider.parseWebhook!({ ...good, url: `${webhookUrl}?messageId=someone-else` }));
  });

  it('keys a callback by its signed content, not by the unsigned idempotency header', async () => {
    const provider = await make();
    const fields = { MessageSid: 'SM5', MessageStatus: 'undelivered', ErrorCode: '30003', To: '+2609' };
    const callback = formCallback(FIRST_ACCOUNT.token, webhookUrl, fields);
    const withToken = (token: string) => ({
      ...callback,
      headers: { ...callback.headers, 'i-twilio-idempotency-token': token },
    });
    const [first] = (await provider.parseWebhook!(withToken('token-1'))).events;
    const [replayed] = (await provider.parseWebhook!(withToken('token-2'))).events;
    expect(replayed?.eventId).toBe(first?.eventId);
    const otherCode = formCallback(FIRST_ACCOUNT.token, webhookUrl, { ...fields, ErrorCode: '30005' });
    const [different] = (await provider.parseWebhook!(otherCode)).events;
    expect(different?.eventId).not.toBe(first?.eventId);
    const otherStatus = formCallback(FIRST_ACCOUNT.token, webhookUrl, { ...fields, MessageStatus: 'failed' });
    const [failed] = (await provider.parseWebhook!(otherStatus)).events;
    expect(failed?.eventId).not.toBe(first?.eventId);
  });

  it('verifies against the configured statusCallbackUrl, which a proxy in front of the host receives', async () => {
    const proxyUrl = `${receiver.url}/public/twilio?route=zm`;
    const context: PluginContext = {
      instanceId: 'twilio-proxied',
      logger: silentLogger,
      now: () => NOW,
      webhookUrl,
    };
    const provider = (await createProvider(
      twilioPlugin,
      { ...optionsFor(simulator, FIRST_ACCOUNT), statusCallbackUrl: proxyUrl },
      context,
    )) as Provider<'sms'>;
    providers.push(provider);
    await provider.send(
      { id: 'm-proxied', channel: 'sms', to: '+260971234567', text: 'hi' },
      { signal: signal() },
    );
    // Callbacks of earlier tests may still arrive: take this message's first one.
    await waitFor(() => receiver.received.some((received) => received.url.startsWith(proxyUrl)));
    const callback = receiver.received.find((received) => received.url.startsWith(proxyUrl));
    expect(callback?.url).toBe(`${proxyUrl}&messageId=m-proxied`);
    // What the host sees: its own public URL and path, with the query the proxy passed on.
    const atHost = { ...callback!, url: `${webhookUrl}?route=zm&messageId=m-proxied` };
    await expect(provider.parseWebhook!(atHost)).resolves.toMatchObject({
      events: [{ messageId: 'm-proxied', providerMessageId: expect.stringMatching(/^SM/) }],
    });
    // Another message id in the query is not what Twilio signed.
    await refusal(provider.parseWebhook!({ ...atHost, url: `${webhookUrl}?route=zm&messageId=m-other` }));
  });

  it('ignores an unknown status and inbound messages, and warns about the unknown status', async () => {
    const warnings: string[] = [];
    const provider = await make(FIRST_ACCOUNT, {
      ...silentLogger,
      warn: (message) => warnings.push(message),
    });
    const unknown = formCallback(FIRST_ACCOUNT.token, webhookUrl, {
      MessageSid: 'SM3',
      MessageStatus: 'teleported',
    });
    await expect(provider.parseWebhook!(unknown)).resolves.toEqual({ events: [] });
    expect(warnings).toHaveLength(1);
    const inbound = formCallback(FIRST_ACCOUNT.token, webhookUrl, {
      SmsSid: 'SM4',
      Body: 'STOP',
      From: '+2609',
    });
    await expect(provider.parseWebhook!(inbound)).resolves.toEqual({ events: [] });
  });

  it('reads RawDlrDoneDate as YYMMDDhhmm in UTC', () => {
    expect(parseRawDlrDoneDate('2501020304')?.toISOString()).toBe('2025-01-02T03:04:00.000Z');
    expect(parseRawDlrDoneDate('250102030405')?.toISOString()).toBe('2025-01-02T03:04:05.000Z');
    expect(parseRawDlrDoneDate('not-a-date')).toBeUndefined();
    expect(parseRawDlrDoneDate(undefined)).toBeUndefined();
  });
});
