import {
  type DeliveryEvent,
  type Provider,
  ValidationError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVerificationKey, verifyEventSignature, verifyEventWebhook } from '../src/sendgrid-webhook.js';
import { createSendgridSimulator } from '../src/simulator.js';
import { email, makeProvider, signal } from './helpers.js';

// Public test vectors of sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js.
const VECTOR_PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
const VECTOR_OTHER_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==';
const VECTOR_SIGNATURE =
  'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
const VECTOR_BAD_SIGNATURE =
  'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=';
const VECTOR_TIMESTAMP = '1588788367';
const VECTOR_PAYLOAD = JSON.stringify({
  category: 'example_payload',
  event: 'test_event',
  message_id: 'message_id',
});

const vectorRequest = (
  overrides: Partial<Record<'payload' | 'signature' | 'timestamp', string>> = {},
): WebhookRequest => ({
  method: 'POST',
  url: 'https://gateway.example.com/webhooks/sendgrid',
  headers: {
    'x-twilio-email-event-webhook-signature': overrides.signature ?? VECTOR_SIGNATURE,
    'x-twilio-email-event-webhook-timestamp': overrides.timestamp ?? VECTOR_TIMESTAMP,
  },
  rawBody: new TextEncoder().encode(overrides.payload ?? VECTOR_PAYLOAD),
});

describe('signature verification against the public SendGrid vectors', () => {
  const publicKey = parseVerificationKey(VECTOR_PUBLIC_KEY);
  const check = (key: string, payload: string, signature: string, timestamp: string) =>
    verifyEventSignature({
      publicKey: parseVerificationKey(key),
      signature,
      timestamp,
      rawBody: new TextEncoder().encode(payload),
    });

  it('accepts the valid vector', () => {
    expect(check(VECTOR_PUBLIC_KEY, VECTOR_PAYLOAD, VECTOR_SIGNATURE, VECTOR_TIMESTAMP)).toBe(true);
  });

  it('rejects another key, another payload, a changed signature and a bad timestamp', () => {
    expect(check(VECTOR_OTHER_KEY, VECTOR_PAYLOAD, VECTOR_SIGNATURE, VECTOR_TIMESTAMP)).toBe(false);
    expect(check(VECTOR_PUBLIC_KEY, 'payload', VECTOR_SIGNATURE, VECTOR_TIMESTAMP)).toBe(false);
    expect(check(VECTOR_PUBLIC_KEY, VECTOR_PAYLOAD, VECTOR_BAD_SIGNATURE, VECTOR_TIMESTAMP)).toBe(false);
    expect(check(VECTOR_PUBLIC_KEY, VECTOR_PAYLOAD, VECTOR_SIGNATURE, 'timestamp')).toBe(false);
    expect(check(VECTOR_PUBLIC_KEY, VECTOR_PAYLOAD, 'not-der', VECTOR_TIMESTAMP)).toBe(false);
  });

  it('passes the vector request with the freshness check off, and refuses it as stale with it on', () => {
    const settings = { publicKey, now: Date.now };
    expect(() => verifyEventWebhook('sg', vectorRequest(), { ...settings, maxAgeSeconds: 0 })).not.toThrow();
    expect(() => verifyEventWebhook('sg', vectorRequest(), { ...settings, maxAgeSeconds: 600 })).toThrow(
      /timestamp is \d+ s away/,
    );
    const justSigned = { ...settings, now: () => Number(VECTOR_TIMESTAMP) * 1000 + 5000, maxAgeSeconds: 600 };
    expect(() => verifyEventWebhook('sg', vectorRequest(), justSigned)).not.toThrow();
  });

  it('refuses a key that is not P-256', () => {
    expect(() =>
      parseVerificationKey('MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE='),
    ).toThrow(/P-256/);
  });
});

describe('parseWebhook', () => {
  const simulator = createSendgridSimulator();
  let provider: Provider<'email'>;
  let vectorProvider: Provider<'email'>;

  beforeAll(async () => {
    await simulator.start();
    provider = await makeProvider(simulator);
    vectorProvider = await makeProvider(simulator, {
      webhookVerificationKey: VECTOR_PUBLIC_KEY,
      webhookMaxAgeSeconds: 0,
    });
  });
  afterAll(async () => {
    await provider.close();
    await vectorProvider.close();
    await simulator.stop();
  });

  const signed = (events: object[], timestamp?: string): WebhookRequest => {
    const { headers, body } = simulator.signEvents(simulator.account(), events, timestamp);
    return {
      method: 'POST',
      url: 'https://gateway.example.com/hook',
      headers,
      rawBody: new TextEncoder().encode(body),
    };
  };
  const base = {
    email: 'to@example.com',
    timestamp: 1_700_000_000,
    sg_message_id: 'AbCdEfGhIjKlMnOpQrStUv.filterdrecv-1-0',
  };

  it('verifies the vector through the provider, then refuses a body that is not an event array', async () => {
    const error = await vectorProvider.parseWebhook!(vectorRequest()).catch((reason: unknown) => reason);
    expect(ValidationError.isInstance(error)).toBe(true);
    const tampered = await vectorProvider.parseWebhook!(
      vectorRequest({ payload: `${VECTOR_PAYLOAD} ` }),
    ).catch((reason: unknown) => reason);
    expect(WebhookVerificationError.isInstance(tampered)).toBe(true);
  });

  it('normalises each SendGrid event, keeping ids, bounce type and error detail', async () => {
    const { events } = await provider.parseWebhook!(
      signed([
        { ...base, event: 'processed', sg_event_id: 'e1', msg_id: 'm-1' },
        {
          ...base,
          event: 'bounce',
          type: 'bounce',
          status: '5.1.1',
          reason: 'no such user',
          sg_event_id: 'e2',
          msg_id: 'm-1',
        },
        {
          ...base,
          event: 'bounce',
          type: 'blocked',
          status: '4.0.0',
          reason: 'try later',
          sg_event_id: 'e3',
        },
        { ...base, event: 'dropped', reason: 'Bounced Address', sg_event_id: 'e4' },
        { ...base, event: 'deferred', response: '451 later', attempt: '2', sg_event_id: 'e5' },
        { ...base, event: 'click', url: 'https://example.com/x', sg_event_id: 'e6' },
      ]),
    );
    expect(events.map((event) => [event.providerStatus, event.status])).toEqual([
      ['processed', 'queued'],
      ['bounce', 'bounced'],
      ['blocked', 'bounced'],
      ['dropped', 'failed'],
      ['deferred', 'sent'],
      ['click', 'clicked'],
    ]);
    const [processed, bounce, blocked, dropped, deferred, click] = events as DeliveryEvent[];
    expect(processed).toMatchObject({
      providerMessageId: 'AbCdEfGhIjKlMnOpQrStUv',
      messageId: 'm-1',
      recipient: 'to@example.com',
      eventId: 'e1',
      occurredAt: new Date(1_700_000_000_000),
      details: { sg_message_id: 'AbCdEfGhIjKlMnOpQrStUv.filterdrecv-1-0' },
    });
    expect(bounce).toMatchObject({
      bounceType: 'permanent',
      error: { code: '5.1.1', message: 'no such user' },
    });
    expect(blocked).toMatchObject({
      bounceType: 'transient',
      error: { code: '4.0.0', message: 'try later' },
    });
    expect(dropped?.error).toEqual({ code: 'dropped', message: 'Bounced Address' });
    expect(deferred).toMatchObject({
      error: { code: 'deferred', message: '451 later' },
      details: { attempt: '2' },
    });
    expect(click?.details?.url).toBe('https://example.com/x');
  });

  it('skips unsubscribe events and unknown words rather than counting them as complaints', async () => {
    const { events } = await provider.parseWebhook!(
      signed([
        { ...base, event: 'unsubscribe' },
        { ...base, event: 'group_unsubscribe', asm_group_id: 1 },
        { ...base, event: 'something_new' },
        { ...base, event: 'spamreport' },
      ]),
    );
    expect(events.map((event) => event.status)).toEqual(['complained']);
  });

  it('refuses a webhook when no verification key is configured', async () => {
    const unkeyed = await makeProvider(simulator, { webhookVerificationKey: undefined });
    const error = await unkeyed.parseWebhook!(signed([{ ...base, event: 'delivered' }])).catch(
      (reason: unknown) => reason,
    );
    await unkeyed.close();
    expect(WebhookVerificationError.isInstance(error)).toBe(true);
  });

  it('refuses a timestamp from the future beyond the window', async () => {
    const future = String(Math.floor(Date.now() / 1000) + 3600);
    const error = await provider.parseWebhook!(signed([{ ...base, event: 'delivered' }], future)).catch(
      (reason: unknown) => reason,
    );
    expect(WebhookVerificationError.isInstance(error)).toBe(true);
  });
});

describe('event webhooks from the simulator', () => {
  it('correlates the events of a batched request to each message by msg_id', async () => {
    const receiver = await webhookReceiver();
    const simulator = createSendgridSimulator();
    await simulator.start();
    simulator.callbackUrl = `${receiver.url}/webhooks/sendgrid`;
    simulator.outcomes.set('bounce@example.com', 'bounce');
    simulator.outcomes.set('blocked@example.com', 'blocked');
    const provider = await makeProvider(simulator);
    try {
      const results = await provider.sendBatch!(
        [
          email('m-ok', { to: [{ email: 'ok@example.com' }] }),
          email('m-bounce', { to: [{ email: 'bounce@example.com' }] }),
          email('m-blocked', { to: [{ email: 'blocked@example.com' }] }),
        ],
        { signal: signal() },
      );
      const [callback] = await receiver.waitFor(1);
      const { events } = await provider.parseWebhook!(callback as WebhookRequest);
      const final = Object.fromEntries(
        events.filter((event) => event.status !== 'queued').map((event) => [event.messageId, event]),
      );
      expect(final['m-ok']).toMatchObject({ status: 'delivered', recipient: 'ok@example.com' });
      expect(final['m-bounce']).toMatchObject({ status: 'bounced', bounceType: 'permanent' });
      expect(final['m-blocked']).toMatchObject({ status: 'bounced', bounceType: 'transient' });
      const shared = results[0]?.ok ? results[0].result.providerMessageId : undefined;
      expect(events.every((event) => event.providerMessageId === shared)).toBe(true);
      expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
    } finally {
      await provider.close();
      await simulator.stop();
      await receiver.close();
    }
  });

  it('signs with each account own key, so another account instance refuses it', async () => {
    const receiver = await webhookReceiver();
    const simulator = createSendgridSimulator({
      accounts: [
        { apiKey: 'SG.first.secret', label: 'first' },
        { apiKey: 'SG.second.secret', label: 'second' },
      ],
    });
    await simulator.start();
    simulator.callbackUrl = receiver.url;
    const first = await makeProvider(simulator);
    const second = await makeProvider(simulator, {
      apiKey: 'SG.second.secret',
      webhookVerificationKey: simulator.account('second').webhookVerificationKey,
    });
    try {
      const sent = await first.send(email('m-1'), { signal: signal() });
      const [callback] = await receiver.waitFor(1);
      const { events } = await first.parseWebhook!(callback as WebhookRequest);
      expect(events.map((event) => [event.providerMessageId, event.messageId, event.status])).toEqual([
        [sent.providerMessageId, 'm-1', 'queued'],
        [sent.providerMessageId, 'm-1', 'delivered'],
      ]);
      const error = await second.parseWebhook!(callback as WebhookRequest).catch((reason: unknown) => reason);
      expect(WebhookVerificationError.isInstance(error)).toBe(true);
    } finally {
      await first.close();
      await second.close();
      await simulator.stop();
      await receiver.close();
    }
  });
});
