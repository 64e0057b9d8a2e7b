import { webhookReceiver } from '@msg/testing';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { statusCallback } from '../src/callbacks/callback-body.js';
import { verifyCallback } from '../src/callbacks/callback-signature.js';
import { CallbackSigningError, formatSigner, gatewaySigner } from '../src/callbacks/callback-signer.js';
import { CallbackWorker } from '../src/callbacks/callback-worker.js';
import { messageIdOfSid, twilioMessageResource, twilioSid } from '../src/ingress/twilio-resource.js';
import { GatewayMetrics } from '../src/metrics.js';
import type { OutboxCallback, StoredMessage } from '../src/store/message-store.js';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { memoryLogger } from './helpers.js';

const ID = `msg_${'0123456789abcdef'.repeat(2)}`;
const ACCOUNT = `AC${'f6'.repeat(16)}`;

function twilioMessage(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: ID,
    channel: 'sms',
    message: { id: ID, channel: 'sms', to: '+14155550100', from: '+15005550006', text: 'hi' },
    status: 'queued',
    dispatchState: 'done',
    apiKeyId: 'app',
    callbackUrl: 'https://app.example.com/status',
    ingress: { api: 'twilio', accountSid: ACCOUNT },
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

function emailMessage(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: ID,
    channel: 'email',
    message: {
      id: ID,
      channel: 'email',
      from: { email: 'shop@example.com' },
      to: [{ email: 'ann@example.com' }],
      cc: [{ email: 'bob@example.com' }],
      subject: 's',
      text: 't',
      metadata: { order: '7' },
    },
    status: 'queued',
    dispatchState: 'done',
    apiKeyId: 'app',
    callbackUrl: 'https://app.example.com/events',
    ingress: { api: 'sendgrid', xMessageId: 'XMESSAGEID0123456789ab' },
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

describe('Twilio message resource', () => {
  it('maps our id to a Twilio SID and back, and nothing else', () => {
    expect(twilioSid(ID)).toBe(`SM${'0123456789abcdef'.repeat(2)}`);
    expect(messageIdOfSid(twilioSid(ID))).toBe(ID);
    expect(messageIdOfSid('SMnot-a-sid')).toBeUndefined();
    expect(messageIdOfSid(`MM${'0'.repeat(32)}`)).toBeUndefined();
  });

  it('shows the status as Twilio would: sending in flight, undelivered when expired, sent when no receipt came', () => {
    expect(twilioMessageResource(twilioMessage({ dispatchState: 'in-flight' })).status).toBe('sending');
    expect(twilioMessageResource(twilioMessage({ dispatchState: 'waiting' })).status).toBe('queued');
    expect(twilioMessageResource(twilioMessage({ status: 'expired' }))).toMatchObject({
      status: 'undelivered',
      error_code: 30008,
    });
    expect(twilioMessageResource(twilioMessage({ status: 'unknown' }))).toMatchObject({
      status: 'sent',
      error_code: null,
    });
    expect(
      twilioMessageResource(
        twilioMessage({
          status: 'failed',
          error: { kind: 'permanent', code: '21610', message: 'unsubscribed' },
        }),
      ),
    ).toMatchObject({ status: 'failed', error_code: 21610 });
  });

  it('shows the cost as a negative price in its currency', () => {
    expect(
      twilioMessageResource(twilioMessage({ status: 'sent', cost: { amount: '0.0075', currency: 'USD' } })),
    ).toMatchObject({ price: '-0.0075', price_unit: 'USD' });
  });
});

describe('callbacks in a provider format', () => {
  it('has no Twilio callback for a change Twilio has no word for', () => {
    expect(statusCallback(twilioMessage(), { status: 'queued', occurredAt: 1 })).toBeUndefined();
    expect(statusCallback(twilioMessage(), { status: 'unknown', occurredAt: 1 })).toBeUndefined();
    expect(statusCallback(twilioMessage(), { status: 'sent', occurredAt: 1 })?.format).toEqual({
      kind: 'twilio',
      accountSid: ACCOUNT,
    });
  });

  it("writes SendGrid events per recipient, with the provider's refusal in SendGrid's words", () => {
    const events = (status: Parameters<typeof statusCallback>[1]) =>
      JSON.parse(statusCallback(emailMessage(), status)?.body ?? '[]') as Array<Record<string, unknown>>;
    expect(
      events({ status: 'sent', occurredAt: 1_700_000_001_000 }).map((event) => [event.email, event.event]),
    ).toEqual([
      ['ann@example.com', 'processed'],
      ['bob@example.com', 'processed'],
    ]);
    expect(
      events({
        status: 'bounced',
        recipient: 'bob@example.com',
        bounceType: 'transient',
        error: { code: '4.2.2', message: 'mailbox full' },
        occurredAt: 1_700_000_002_000,
      }),
    ).toEqual([
      expect.objectContaining({
        email: 'bob@example.com',
        event: 'bounce',
        type: 'blocked',
        status: '4.2.2',
        reason: 'mailbox full',
        order: '7',
        timestamp: 1_700_000_002,
        sg_message_id: 'XMESSAGEID0123456789ab.msg-0123456789abcdef0123456789abcdef-1.0',
      }),
    ]);
    expect(events({ status: 'sent', providerStatus: 'deferred', occurredAt: 1 })[0]?.event).toBe('deferred');
    expect(
      events({ status: 'failed', error: { message: 'no provider took it' }, occurredAt: 1 })[0],
    ).toMatchObject({
      event: 'dropped',
      reason: 'no provider took it',
    });
    expect(statusCallback(emailMessage(), { status: 'unknown', occurredAt: 1 })).toBeUndefined();
  });
});

describe('callback signing by format', () => {
  const callback = (overrides: Partial<OutboxCallback> = {}): OutboxCallback => ({
    id: 1,
    messageId: ID,
    sequence: 1,
    url: 'https://app.example.com/status?tenant=1',
    body: 'MessageSid=SM1&MessageStatus=sent&AccountSid=AC1',
    attempts: 0,
    nextAttemptAt: 0,
    ...overrides,
  });

  it("signs the gateway's own callbacks as before", async () => {
    const body = '{"type":"message.status"}';
    const headers = await gatewaySigner('secret-0123456789abcdef')(callback({ body }), 1_700_000_000);
    expect(
      verifyCallback(
        'secret-0123456789abcdef',
        { timestamp: headers['msg-timestamp'], signature: headers['msg-signature'] },
        body,
        { now: 1_700_000_000_000 },
      ),
    ).toBe(true);
  });

  it("signs a Twilio callback with the account's token, as twilio.validateRequest checks it", async () => {
    const sign = formatSigner({
      secret: 's',
      twilioAuthTokens: new Map([[ACCOUNT, 'account-token-0123456789']]),
    });
    const twilioCallback = callback({ format: { kind: 'twilio', accountSid: ACCOUNT } });
    const headers = await sign(twilioCallback, 1);
    const params = Object.fromEntries(new URLSearchParams(twilioCallback.body));
    expect(
      twilio.validateRequest(
        'account-token-0123456789',
        headers['x-twilio-signature'] as string,
        twilioCallback.url,
        params,
      ),
    ).toBe(true);
    expect((await sign(twilioCallback, 2))['i-twilio-idempotency-token']).toBe(
      headers['i-twilio-idempotency-token'],
    );
  });

  it('gives up a callback whose Twilio account is no longer in the config, without sending it', async () => {
    const sign = formatSigner({ secret: 's', twilioAuthTokens: new Map() });
    await expect(sign(callback({ format: { kind: 'twilio', accountSid: ACCOUNT } }), 1)).rejects.toSatisfy(
      CallbackSigningError.isInstance,
    );
    const store = new SqliteMessageStore({ path: ':memory:' });
    const receiver = await webhookReceiver();
    const logger = memoryLogger();
    try {
      const message = twilioMessage({ callbackUrl: `${receiver.url}/status` });
      await store.accept(message);
      await store.addEvent(
        {
          messageId: ID,
          providerId: 'twilio',
          providerMessageId: 'SM1',
          status: 'sent',
          providerStatus: 'sent',
          occurredAt: 1,
          receivedAt: 1,
          eventKey: 'k1',
        },
        {
          url: `${receiver.url}/status`,
          body: 'MessageStatus=sent',
          format: { kind: 'twilio', accountSid: ACCOUNT },
        },
      );
      const worker = new CallbackWorker({
        store,
        secret: 's',
        sign,
        attempts: 5,
        timeoutMs: 1000,
        initialBackoffMs: 10,
        maxBackoffMs: 10,
        logger,
        metrics: new GatewayMetrics(),
        now: Date.now,
        pollIntervalMs: 10,
      });
      worker.start();
      const refused = await new Promise<string>((resolve) => {
        const check = setInterval(() => {
          const line = logger.lines.find((entry) => entry.message.includes('refused'));
          if (line) {
            clearInterval(check);
            resolve(line.message);
          }
        }, 10);
      });
      await worker.stop();
      expect(refused).toContain(`account ${ACCOUNT}`);
      expect(receiver.received).toHaveLength(0);
      expect(await store.dueCallbacks(Date.now() + 60_000, 10)).toEqual([]);
    } finally {
      await receiver.close();
      await store.close();
    }
  });
});
