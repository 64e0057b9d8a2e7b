import { join } from 'node:path';
import { createMailgunSimulator, mailgunEventData, signMailgunWebhook } from '@msg/plugin-mailgun/simulator';
import { createTwilioSimulator, type TwilioSimulator } from '@msg/plugin-twilio/simulator';
import type { SimulatorServer } from '@msg/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayPerTest, type TestGateway, temporaryDirectory, twilioEntry } from './helpers.js';

const TWILIO_SID = `AC${'4d'.repeat(16)}`;
const TWILIO_TOKEN = 'twilio-replay-auth-token';
const MAILGUN = {
  apiKey: 'key-replay-0123456789abcdef',
  signingKey: 'mailgun-replay-signing-key',
  domains: ['mg.replay.example'],
};

const gatewayWith = gatewayPerTest();

async function eventsOf(gateway: TestGateway, id: string): Promise<Array<{ providerStatus: string }>> {
  return (await gateway.call('GET', `/v1/messages/${id}`)).body.events;
}

describe('Twilio status callbacks replayed with only the unsigned header changed', () => {
  let twilio: TwilioSimulator;
  beforeAll(async () => {
    twilio = createTwilioSimulator({ accounts: { [TWILIO_SID]: TWILIO_TOKEN }, callbackDelayMs: 10 });
    await twilio.start();
  });
  afterAll(() => twilio.stop());

  it('are stored once', async () => {
    const gateway = await gatewayWith({
      plugins: [twilioEntry({ sid: TWILIO_SID, token: TWILIO_TOKEN, baseUrl: twilio.url })],
    });
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'hi' },
    });
    await twilio.callbacks.idle();
    expect((await eventsOf(gateway, sent.body.id)).map((event) => event.providerStatus)).toEqual([
      'sent',
      'delivered',
    ]);
    const delivered = twilio.callbacks.delivered.find((callback) =>
      String(callback.body).includes('MessageStatus=delivered'),
    );
    if (!delivered) throw new Error('the simulator sent no delivered callback');
    const url = new URL(delivered.url);
    const replay = await gateway.call('POST', `${url.pathname}${url.search}`, {
      key: null,
      raw: String(delivered.body),
      headers: { ...delivered.headers, 'i-twilio-idempotency-token': 'a-token-of-the-attacker' },
    });
    expect(replay.status).toBe(200);
    expect(await eventsOf(gateway, sent.body.id)).toHaveLength(2);
  });
});

describe('Mailgun webhook tokens', () => {
  let mailgun: SimulatorServer;
  beforeAll(async () => {
    // No webhook URL: the tests post the webhooks themselves.
    mailgun = createMailgunSimulator({ accounts: [MAILGUN] });
    await mailgun.start();
  });
  afterAll(() => mailgun.stop());

  const config = (path: string) => ({
    store: { driver: 'sqlite', path },
    plugins: [
      {
        resolve: '@msg/plugin-mailgun',
        id: 'mailgun',
        options: {
          apiKey: MAILGUN.apiKey,
          domain: 'mg.replay.example',
          baseUrl: mailgun.url,
          webhookSigningKey: MAILGUN.signingKey,
        },
      },
    ],
  });

  async function sendEmail(gateway: TestGateway): Promise<{ id: string; providerMessageId: string }> {
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: {
        from: { email: 'news@mg.replay.example' },
        to: 'alice@example.com',
        subject: 'Hi',
        text: 'hello',
      },
    });
    expect(sent.body.providerMessageId).toBeTruthy();
    return sent.body;
  }

  /** A webhook body for this message; `signature` reuses another body's signature (a replay). */
  function webhookBody(
    message: { id: string; providerMessageId: string },
    event: string,
    signature?: { timestamp: string; token: string; signature: string },
  ): string {
    const eventData = mailgunEventData({
      event,
      messageId: message.providerMessageId,
      recipient: 'alice@example.com',
      timestampMs: Date.now(),
      userVariables: { msg_id: message.id },
      severity: event === 'failed' ? 'permanent' : undefined,
      reason: event === 'failed' ? 'bounce' : undefined,
    });
    const body = signMailgunWebhook(eventData, MAILGUN.signingKey);
    return JSON.stringify(signature ? { ...body, signature } : body);
  }

  const post = (gateway: TestGateway, raw: string) =>
    gateway.call('POST', '/webhooks/mailgun', {
      key: null,
      raw,
      headers: { 'content-type': 'application/json' },
    });

  it('refuses a used token with other content after a restart on the same store, and takes a retry once', async () => {
    const path = join(temporaryDirectory(), 'gateway.sqlite');
    const first = await gatewayWith(config(path));
    const message = await sendEmail(first);
    const delivered = webhookBody(message, 'delivered');
    expect((await post(first, delivered)).status).toBe(200);
    await first.stop();

    const second = await gatewayWith(config(path));
    // The captured signature on other event data: refused although the signature itself is valid.
    const { signature } = JSON.parse(delivered);
    const forged = await post(second, webhookBody(message, 'failed', signature));
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('replayed_webhook');
    // Mailgun's retry of the same webhook: harmless, stored once.
    expect((await post(second, delivered)).status).toBe(200);
    const read = await second.call('GET', `/v1/messages/${message.id}`);
    expect(read.body.status).toBe('delivered');
    expect(read.body.events.map((event: { providerStatus: string }) => event.providerStatus)).toEqual([
      'delivered',
    ]);
  });

  it("accepts the provider's retry of a webhook whose first delivery hit a store write failure", async () => {
    const path = join(temporaryDirectory(), 'gateway.sqlite');
    const gateway = await gatewayWith(config(path));
    const message = await sendEmail(gateway);
    const body = webhookBody(message, 'delivered');
    // A second connection makes every event insert fail, as a full disk would.
    const saboteur = new Database(path);
    saboteur.exec(
      `CREATE TRIGGER fail_event_writes BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END;`,
    );
    const failed = await post(gateway, body);
    expect(failed.status).toBe(503);
    expect(await eventsOf(gateway, message.id)).toEqual([]);
    saboteur.exec('DROP TRIGGER fail_event_writes');
    saboteur.close();
    const retried = await post(gateway, body);
    expect(retried.status).toBe(200);
    expect((await eventsOf(gateway, message.id)).map((event) => event.providerStatus)).toEqual(['delivered']);
  });
});
