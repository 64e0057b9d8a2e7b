import { type Provider, WebhookVerificationError } from '@msg/core';
import { describe, expect, it } from 'vitest';
import {
  createMailgunProvider,
  isValidMailgunSignature,
  type MailgunProviderSettings,
} from '../src/index.js';
import { mailgunEventData, signMailgunWebhook } from '../src/simulator.js';
import { ACCOUNT_A, signedEvent, webhookRequest } from './helpers.js';

/** mailgun-php tests/MailgunTest.php (testVerifyWebhookGood / testVerifyWebhookBad). */
const PUBLIC_VECTOR = {
  key: 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0',
  timestamp: '1403645220',
  token: '5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6',
  signature: '9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33',
  otherToken: 'owyldpe6nxhmrn78epljl6bj0orrki1u3d2v5e6cnlmmuox8jr',
};

function provider(settings: Partial<MailgunProviderSettings> = {}): Provider<'email'> {
  return createMailgunProvider('mailgun-webhooks', {
    apiKey: 'unused',
    domain: 'mg.acme.example',
    baseUrl: 'http://127.0.0.1:9',
    webhookSigningKey: ACCOUNT_A.signingKey,
    ...settings,
  });
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(WebhookVerificationError.isInstance(error), 'a WebhookVerificationError').toBe(true);
  return error as Error;
}

async function onlyEvent(target: Provider<'email'>, request: ReturnType<typeof signedEvent>) {
  const result = await target.parseWebhook!(request);
  expect(result.events).toHaveLength(1);
  return result.events[0]!;
}

describe('signature', () => {
  it("accepts Mailgun's own test vector (freshness disabled) and refuses it with another token", async () => {
    const { key, timestamp, token, signature, otherToken } = PUBLIC_VECTOR;
    expect(isValidMailgunSignature({ timestamp, token, signature }, key)).toBe(true);
    expect(isValidMailgunSignature({ timestamp, token: otherToken, signature }, key)).toBe(false);
    const target = provider({ webhookSigningKey: key, maxAgeSeconds: 0 });
    const eventData = mailgunEventData({
      event: 'delivered',
      messageId: 'vector@mg.acme.example',
      recipient: 'alice@example.com',
      timestampMs: 1403645220000,
    });
    const good = webhookRequest({ signature: { timestamp, token, signature }, 'event-data': eventData });
    await expect(target.parseWebhook!(good)).resolves.toMatchObject({ events: [{ status: 'delivered' }] });
    const bad = webhookRequest({
      signature: { timestamp, token: otherToken, signature },
      'event-data': eventData,
    });
    await refusal(target.parseWebhook!(bad));
  });

  it('refuses the public vector when freshness is on (it is from 2014)', async () => {
    const { key, timestamp, token, signature } = PUBLIC_VECTOR;
    const request = webhookRequest({
      signature: { timestamp, token, signature },
      'event-data': mailgunEventData({
        event: 'delivered',
        messageId: 'x',
        recipient: 'a@b.co',
        timestampMs: 0,
      }),
    });
    const error = await refusal(provider({ webhookSigningKey: key }).parseWebhook!(request));
    expect(error.message).toContain('outside 300s');
  });

  it('hands the signed token to the host, which refuses it when it comes again with other content', async () => {
    const target = provider();
    const request = signedEvent(ACCOUNT_A.signingKey, { event: 'delivered' });
    const { token } = JSON.parse(Buffer.from(request.rawBody).toString('utf8')).signature;
    await expect(target.parseWebhook!(request)).resolves.toMatchObject({ replayToken: token });
    // The plugin keeps no token list of its own (it would be lost on a restart): the host's store does.
    await expect(target.parseWebhook!(request)).resolves.toMatchObject({ replayToken: token });
  });

  it('refuses timestamps too far in the past or future, honouring maxAgeSeconds', async () => {
    const now = Math.floor(Date.now() / 1000);
    const target = provider({ maxAgeSeconds: 60 });
    for (const timestamp of [now - 120, now + 120]) {
      await refusal(
        target.parseWebhook!(
          signedEvent(ACCOUNT_A.signingKey, { event: 'delivered' }, { timestamp: String(timestamp) }),
        ),
      );
    }
    await expect(
      target.parseWebhook!(
        signedEvent(ACCOUNT_A.signingKey, { event: 'delivered' }, { timestamp: String(now - 30) }),
      ),
    ).resolves.toBeDefined();
  });

  it('refuses every webhook when no signing key is configured, and bodies that are not JSON', async () => {
    await refusal(
      provider({ webhookSigningKey: undefined }).parseWebhook!(signedEvent('x', { event: 'delivered' })),
    );
    const notJson = { ...webhookRequest({}), rawBody: new TextEncoder().encode('timestamp=1&token=2') };
    await refusal(provider().parseWebhook!(notJson));
  });
});

describe('subaccounts', () => {
  const PRIMARY_KEY = 'signing-key-primary-account';
  const subaccountEvent = (parentSigningKey = PRIMARY_KEY) =>
    signedEvent(ACCOUNT_A.signingKey, { event: 'delivered' }, { parentSigningKey });

  it("accepts a subaccount's event with the primary account's key, through parent-signature", async () => {
    const request = subaccountEvent();
    const body = JSON.parse(Buffer.from(request.rawBody).toString('utf8'));
    expect(body.signature['parent-signature']).toMatch(/^[0-9a-f]{64}$/);
    await expect(provider({ webhookSigningKey: PRIMARY_KEY }).parseWebhook!(request)).resolves.toMatchObject({
      events: [{ status: 'delivered' }],
    });
  });

  it("accepts it with the subaccount's own key, through signature", async () => {
    await expect(provider().parseWebhook!(subaccountEvent())).resolves.toMatchObject({
      events: [{ status: 'delivered' }],
    });
  });

  it('refuses it with any other key, and a parent-signature that does not match', async () => {
    await refusal(provider({ webhookSigningKey: 'some-other-key' }).parseWebhook!(subaccountEvent()));
    const forged = subaccountEvent('not-the-primary-key');
    await refusal(provider({ webhookSigningKey: PRIMARY_KEY }).parseWebhook!(forged));
  });
});

describe('status mapping', () => {
  const target = provider();
  const event = (input: Parameters<typeof signedEvent>[1]) =>
    onlyEvent(target, signedEvent(ACCOUNT_A.signingKey, input));

  it('maps a delivered event with its ids, recipient and time', async () => {
    const occurredMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    const result = await event({
      event: 'delivered',
      messageId: '20240102030405.1.ABC@mg.acme.example',
      userVariables: { msg_id: 'our-id-1' },
      timestampMs: occurredMs,
    });
    expect(result).toMatchObject({
      status: 'delivered',
      providerStatus: 'delivered',
      providerMessageId: '20240102030405.1.ABC@mg.acme.example',
      messageId: 'our-id-1',
      recipient: 'alice@example.com',
      occurredAt: new Date(occurredMs),
    });
    expect(result.eventId).toMatch(/^[\w-]{22}$/);
  });

  it('maps a permanent bounce to bounced (permanent) with the SMTP code', async () => {
    const result = await event({
      event: 'failed',
      severity: 'permanent',
      reason: 'bounce',
      deliveryStatus: { code: 550, message: '5.1.1 No such user', description: '' },
    });
    expect(result).toMatchObject({
      status: 'bounced',
      providerStatus: 'failed-permanent',
      bounceType: 'permanent',
      error: { code: '550', message: '5.1.1 No such user' },
      details: { reason: 'bounce', severity: 'permanent' },
    });
  });

  it('maps a temporary failure to sent (Mailgun keeps retrying)', async () => {
    const result = await event({ event: 'failed', severity: 'temporary', deliveryStatus: { code: 452 } });
    expect(result).toMatchObject({
      status: 'sent',
      providerStatus: 'failed-temporary',
      bounceType: 'transient',
    });
  });

  it('maps a drop for a suppressed address to failed, and a give-up after retrying to expired', async () => {
    for (const reason of ['suppress-bounce', 'suppress-unsubscribe', 'suppress-complaint']) {
      const result = await event({ event: 'failed', severity: 'permanent', reason });
      expect(result, reason).toMatchObject({
        status: 'failed',
        providerStatus: 'failed-permanent',
        bounceType: undefined,
      });
    }
    const old = await event({ event: 'failed', severity: 'permanent', reason: 'old' });
    expect(old.status).toBe('expired');
  });

  it('maps unsubscribed to delivered, keeping the word', async () => {
    await expect(event({ event: 'unsubscribed' })).resolves.toMatchObject({
      status: 'delivered',
      providerStatus: 'unsubscribed',
    });
  });

  it('returns no event for an event type without a delivery meaning', async () => {
    const result = await target.parseWebhook!(signedEvent(ACCOUNT_A.signingKey, { event: 'stored' }));
    expect(result.events).toEqual([]);
  });
});

describe('test-mode events', () => {
  it('never turns an event of a message sent with o:testmode into a receipt', async () => {
    const target = provider();
    const eventData = {
      ...mailgunEventData({
        event: 'delivered',
        messageId: '20240101120000.1.TEST@mg.acme.example',
        recipient: 'alice@example.com',
        timestampMs: Date.now(),
        userVariables: { msg_id: 'shadowed-message' },
      }),
      flags: { 'is-test-mode': true, 'is-authenticated': true, 'is-routed': false },
    };
    const flagged = webhookRequest(signMailgunWebhook(eventData, ACCOUNT_A.signingKey));
    await expect(target.parseWebhook!(flagged)).resolves.toMatchObject({ events: [] });
    const live = { ...eventData, flags: { ...eventData.flags, 'is-test-mode': false } };
    const event = await onlyEvent(target, webhookRequest(signMailgunWebhook(live, ACCOUNT_A.signingKey)));
    expect(event).toMatchObject({ status: 'delivered', messageId: 'shadowed-message' });
  });
});
