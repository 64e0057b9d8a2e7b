import { WebhookVerificationError } from '@msg/core';
import { rejectionOf } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretKey, signatureMatches, signWebhook } from '../src/resend-signature.js';
import { createResendSimulator, generateWebhookSecret } from '../src/simulator.js';
import { makeProvider, optionsFor } from './helpers.js';

// standard-webhooks/standard-webhooks libraries/javascript/src/webhook.test.ts ("sign function works").
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const simulator = createResendSimulator();
beforeAll(() => simulator.start());
afterAll(() => simulator.stop());

const vectorRequest = (signature = VECTOR.signature, headerPrefix = 'svix') => ({
  method: 'POST',
  url: 'https://gateway.example.com/webhooks/resend',
  headers: {
    [`${headerPrefix}-id`]: VECTOR.id,
    [`${headerPrefix}-timestamp`]: VECTOR.timestamp,
    [`${headerPrefix}-signature`]: signature,
  },
  rawBody: new TextEncoder().encode(VECTOR.body),
});

describe('Svix signatures', () => {
  it('signs the public vector as Standard Webhooks does', () => {
    expect(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verifies the public vector with the clock at its timestamp, and refuses it an hour later', async () => {
    const at = (seconds: number) => () => seconds * 1000;
    const onTime = await makeProvider(
      optionsFor(simulator, simulator.account(), { webhookSecret: VECTOR.secret }),
      {
        now: at(Number(VECTOR.timestamp) + 60),
      },
    );
    const late = await makeProvider(
      optionsFor(simulator, simulator.account(), { webhookSecret: VECTOR.secret }),
      {
        now: at(Number(VECTOR.timestamp) + 3600),
      },
    );
    try {
      // Not a Resend event: verified, and no delivery event in it.
      await expect(onTime.parseWebhook!(vectorRequest())).resolves.toEqual({ events: [] });
      // The unbranded Standard Webhooks headers are accepted too.
      await expect(onTime.parseWebhook!(vectorRequest(VECTOR.signature, 'webhook'))).resolves.toEqual({
        events: [],
      });
      const error = await rejectionOf(late.parseWebhook!(vectorRequest()), WebhookVerificationError);
      expect(error.message).toContain('3600 s away');
    } finally {
      await Promise.all([onTime.close(), late.close()]);
    }
  });

  it('accepts a header with several v1 signatures when any one matches (key rotation)', () => {
    const keys = [secretKey(VECTOR.secret)];
    const other = signWebhook(generateWebhookSecret(), VECTOR.id, VECTOR.timestamp, VECTOR.body);
    const input = {
      keys,
      id: VECTOR.id,
      timestamp: VECTOR.timestamp,
      rawBody: new TextEncoder().encode(VECTOR.body),
    };
    expect(signatureMatches({ ...input, header: `${other} ${VECTOR.signature}` })).toBe(true);
    expect(signatureMatches({ ...input, header: `${VECTOR.signature} ${other}` })).toBe(true);
    expect(signatureMatches({ ...input, header: other })).toBe(false);
    expect(signatureMatches({ ...input, header: VECTOR.signature.replace('v1,', 'v2,') })).toBe(false);
  });

  it('takes two configured secrets while we rotate ours', async () => {
    const provider = await makeProvider(
      optionsFor(simulator, simulator.account(), { webhookSecret: [generateWebhookSecret(), VECTOR.secret] }),
      { now: () => Number(VECTOR.timestamp) * 1000 },
    );
    try {
      await expect(provider.parseWebhook!(vectorRequest())).resolves.toBeDefined();
    } finally {
      await provider.close();
    }
  });
});

describe('webhook events', () => {
  it('verifies a rotating account post (two signatures) and maps bounce types', async () => {
    const rotating = createResendSimulator({
      accounts: [{ apiKey: 're_rotating_key_0000000000', rotating: true }],
    });
    const account = rotating.account();
    const provider = await makeProvider({ apiKey: account.apiKey, webhookSecret: account.webhookSecret });
    try {
      const post = (bounceType: string) => {
        const signed = rotating.signEvent(account, {
          type: 'email.bounced',
          created_at: '2026-03-01T10:00:00.000Z',
          data: {
            email_id: 'e-1',
            to: ['to@example.com'],
            tags: { msg_id: 'm-1' },
            bounce: { type: bounceType, subType: 'General', message: 'no' },
          },
        });
        expect(signed.headers['svix-signature']?.split(' ')).toHaveLength(2);
        return {
          method: 'POST',
          url: 'https://gw/webhooks/resend',
          headers: signed.headers,
          rawBody: new TextEncoder().encode(signed.body),
        };
      };
      const [permanent] = (await provider.parseWebhook!(post('Permanent'))).events;
      expect(permanent).toMatchObject({
        providerMessageId: 'e-1',
        messageId: 'm-1',
        status: 'bounced',
        bounceType: 'permanent',
        recipient: 'to@example.com',
      });
      expect(permanent?.occurredAt.toISOString()).toBe('2026-03-01T10:00:00.000Z');
      expect(permanent?.eventId).toMatch(/^msg_/);
      const [transient] = (await provider.parseWebhook!(post('Transient'))).events;
      expect(transient).toMatchObject({ status: 'bounced', bounceType: 'transient' });
      const [undetermined] = (await provider.parseWebhook!(post('Undetermined'))).events;
      expect(undetermined).toMatchObject({ status: 'unknown', providerStatus: 'email.bounced' });
    } finally {
      await provider.close();
    }
  });

  it('refuses every webhook when no secret is configured', async () => {
    const provider = await makeProvider(
      optionsFor(simulator, simulator.account(), { webhookSecret: undefined }),
    );
    try {
      const error = await rejectionOf(provider.parseWebhook!(vectorRequest()), WebhookVerificationError);
      expect(error.message).toContain('webhookSecret');
    } finally {
      await provider.close();
    }
  });
});
