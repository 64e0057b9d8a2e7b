import { createTwilioSimulator, type TwilioSimulator } from '@msg/plugin-twilio/simulator';
import { rejectionOf, type WebhookReceiver, webhookReceiver } from '@msg/testing';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway, twilioEntry } from './helpers.js';

// The application's Twilio account, as the gateway's config maps it to one of its API keys.
const APP_SID = `AC${'a1'.repeat(16)}`;
const APP_TOKEN = 'app-auth-token-0123456789abcdef';
const OTHER_SID = `AC${'b2'.repeat(16)}`;
const OTHER_TOKEN = 'other-auth-token-0123456789abcd';
const THROTTLED_SID = `AC${'c3'.repeat(16)}`;
const THROTTLED_TOKEN = 'throttled-auth-token-0123456789';
// The gateway's own Twilio account, on the simulator that stands for Twilio.
const PROVIDER_SID = `AC${'d4'.repeat(16)}`;
const PROVIDER_TOKEN = 'provider-auth-token-0123456789';

/**
 * The SDK's own HTTP client (axios), sending to the gateway instead of api.twilio.com: how an
 * application swaps the base URL without touching its calls.
 */
class GatewayRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {
    super({ autoRetry: false });
  }

  override request<TData>(options: RequestClient.RequestOptions<TData>) {
    const target = new URL(options.uri);
    const base = new URL(this.baseUrl);
    target.protocol = base.protocol;
    target.host = base.host;
    return super.request<TData>({
      ...options,
      uri: target.toString(),
      headers: { ...options.headers, ...this.extraHeaders },
    });
  }
}

type RestException = InstanceType<typeof twilio.RestException>;
const restException = {
  isInstance: (error: unknown): error is RestException => error instanceof twilio.RestException,
};
const formOf = (sent: { body: Buffer }) => new URLSearchParams(sent.body.toString());

describe('Twilio-compatible ingress, driven by the official twilio SDK', () => {
  let simulator: TwilioSimulator;
  let gateway: TestGateway;
  let app: WebhookReceiver;
  let client: twilio.Twilio;
  const clientFor = (sid: string, token: string, headers: Record<string, string> = {}) =>
    twilio(sid, token, { httpClient: new GatewayRequestClient(gateway.url, headers), autoRetry: false });
  /** What the SDK threw: a `RestException`, as it throws for Twilio's own errors (anything else fails the test). */
  const rejection = (promise: Promise<unknown>) => rejectionOf(promise, restException);

  beforeAll(async () => {
    simulator = createTwilioSimulator({ accounts: { [PROVIDER_SID]: PROVIDER_TOKEN }, callbackDelayMs: 20 });
    await simulator.start();
    app = await webhookReceiver();
    gateway = await startGateway({
      apiKeys: [
        {
          id: 'legacy-app',
          key: 'legacy-app-key-0123456789',
          ingress: { twilio: { accountSid: APP_SID, authToken: APP_TOKEN } },
        },
        {
          id: 'other-app',
          key: 'other-app-key-0123456789',
          ingress: { twilio: { accountSid: OTHER_SID, authToken: OTHER_TOKEN } },
        },
        {
          id: 'throttled-app',
          key: 'throttled-app-key-0123456789',
          rateLimitPerMinute: 1,
          ingress: { twilio: { accountSid: THROTTLED_SID, authToken: THROTTLED_TOKEN } },
        },
        { id: 'operator', key: 'operator-key-0123456789', scopes: ['admin'] },
      ],
      // The application's callback receiver runs on this host.
      callbacks: { allow: ['127.0.0.1'] },
      plugins: [twilioEntry({ sid: PROVIDER_SID, token: PROVIDER_TOKEN, baseUrl: simulator.url })],
    });
    client = clientFor(APP_SID, APP_TOKEN);
  });
  afterAll(async () => {
    await gateway?.stop();
    await simulator?.stop();
    await app?.close();
  });
  beforeEach(() => {
    app.received.length = 0;
  });

  it('accepts a message with Twilio’s answer and sends it through the router', async () => {
    const created = await client.messages.create({ to: '+14155550100', from: '+15005550006', body: 'hello' });
    expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(created).toMatchObject({
      accountSid: APP_SID,
      status: 'queued',
      to: '+14155550100',
      from: '+15005550006',
      body: 'hello',
      numSegments: '1',
      direction: 'outbound-api',
      apiVersion: '2010-04-01',
      errorCode: null,
      price: null,
      uri: `/2010-04-01/Accounts/${APP_SID}/Messages/${created.sid}.json`,
    });
    // The SDK parses Twilio's RFC 2822 dates.
    expect(created.dateCreated.getTime()).toBeGreaterThan(Date.now() - 60_000);
    // The same stored message /v1 sees, under the id the SID stands for.
    const id = `msg_${created.sid.slice(2)}`;
    const stored = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${id}`, { key: 'operator-key-0123456789' });
      return read.body.status === 'delivered' ? read.body : undefined;
    });
    expect(stored).toMatchObject({
      channel: 'sms',
      to: '+14155550100',
      provider: 'twilio',
      ingress: 'twilio',
    });
    expect(simulator.requests.some((sent) => formOf(sent).get('Body') === 'hello')).toBe(true);
  });

  it('reads the status back with messages(sid).fetch()', async () => {
    const created = await client.messages.create({
      to: '+14155550101',
      from: '+15005550006',
      body: 'status?',
    });
    const delivered = await eventually(async () => {
      const fetched = await client.messages(created.sid).fetch();
      return fetched.status === 'delivered' ? fetched : undefined;
    });
    expect(delivered).toMatchObject({ sid: created.sid, errorCode: null, numSegments: '1' });
    expect(delivered.dateSent).toBeInstanceOf(Date);
  });

  it('posts Twilio-format status callbacks that twilio.validateRequest accepts, in order', async () => {
    const callbackUrl = `${app.url}/twilio/status?tenant=7`;
    const created = await client.messages.create({
      to: '+14155550102',
      from: '+15005550006',
      body: 'call me back',
      statusCallback: callbackUrl,
    });
    const received = await app.waitFor(2);
    const params = received.map((callback) =>
      Object.fromEntries(new URLSearchParams(Buffer.from(callback.rawBody).toString())),
    );
    expect(params.map((param) => param.MessageStatus)).toEqual(['sent', 'delivered']);
    for (const [index, callback] of received.entries()) {
      const signature = callback.headers['x-twilio-signature'] as string;
      expect(callback.url).toBe(callbackUrl);
      expect(twilio.validateRequest(APP_TOKEN, signature, callback.url, params[index] ?? {})).toBe(true);
      expect(twilio.validateRequest(OTHER_TOKEN, signature, callback.url, params[index] ?? {})).toBe(false);
      expect(callback.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(callback.headers['i-twilio-idempotency-token']).toBeTruthy();
    }
    expect(params[1]).toMatchObject({
      MessageSid: created.sid,
      SmsSid: created.sid,
      AccountSid: APP_SID,
      To: '+14155550102',
      From: '+15005550006',
      ApiVersion: '2010-04-01',
    });
    expect(params[1]?.RawDlrDoneDate).toMatch(/^\d{10}$/);
  });

  it('reports an undelivered message with its error code, in the callback and the resource', async () => {
    simulator.outcomes.set('+14155550103', 'undelivered:30005');
    const created = await client.messages.create({
      to: '+14155550103',
      from: '+15005550006',
      body: 'nobody home',
      statusCallback: `${app.url}/status`,
    });
    const [, last] = await app.waitFor(2);
    expect(
      Object.fromEntries(new URLSearchParams(Buffer.from(last?.rawBody ?? []).toString())),
    ).toMatchObject({
      MessageStatus: 'undelivered',
      ErrorCode: '30005',
    });
    const fetched = await client.messages(created.sid).fetch();
    expect(fetched).toMatchObject({ status: 'undelivered', errorCode: 30005 });
  });

  describe('refusals: the RestException the SDK would get from Twilio', () => {
    it('an invalid To is 21211', async () => {
      const error = await rejection(client.messages.create({ to: '+1234', from: '+15005550006', body: 'x' }));
      expect(error).toMatchObject({
        status: 400,
        code: 21211,
        moreInfo: 'https://www.twilio.com/docs/errors/21211',
      });
      expect(error.message).toContain('+1234');
    });

    it('a missing Body is 21602, a missing sender 21603, a body over 1600 characters 21617', async () => {
      const noBody = await rejection(client.messages.create({ to: '+14155550100', from: '+15005550006' }));
      expect(noBody).toMatchObject({ status: 400, code: 21602 });
      const noSender = await rejection(client.messages.create({ to: '+14155550100', body: 'x' }));
      expect(noSender).toMatchObject({ status: 400, code: 21603 });
      const long = await rejection(
        client.messages.create({ to: '+14155550100', from: '+15005550006', body: 'x'.repeat(1601) }),
      );
      expect(long).toMatchObject({ status: 400, code: 21617 });
    });

    it('a missing To is 21604 (the SDK refuses it itself, so over raw HTTP)', async () => {
      const response = await request(`${gateway.url}/2010-04-01/Accounts/${APP_SID}/Messages.json`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${APP_SID}:${APP_TOKEN}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'From=%2B15005550006&Body=hello',
      });
      expect(response.statusCode).toBe(400);
      expect(await response.body.json()).toEqual({
        code: 21604,
        message: "A 'To' phone number is required.",
        more_info: 'https://www.twilio.com/docs/errors/21604',
        status: 400,
      });
    });

    it('a wrong auth token, or another account in the path, is 20003 (401)', async () => {
      const wrong = await rejection(
        clientFor(APP_SID, 'not-the-token-0123456789abcdef').messages.create({
          to: '+14155550100',
          from: '+15005550006',
          body: 'x',
        }),
      );
      expect(wrong).toMatchObject({ status: 401, code: 20003 });
      const elsewhere = await rejection(
        clientFor(OTHER_SID, OTHER_TOKEN).api.v2010.accounts(APP_SID).messages.create({
          to: '+14155550100',
          from: '+15005550006',
          body: 'x',
        }),
      );
      expect(elsewhere).toMatchObject({ status: 401, code: 20003 });
    });

    it("an unknown SID, or another account's message, is 20404", async () => {
      const unknown = await rejection(client.messages(`SM${'0'.repeat(32)}`).fetch());
      expect(unknown).toMatchObject({ status: 404, code: 20404 });
      const created = await client.messages.create({
        to: '+14155550104',
        from: '+15005550006',
        body: 'mine',
      });
      const theirs = await rejection(clientFor(OTHER_SID, OTHER_TOKEN).messages(created.sid).fetch());
      expect(theirs).toMatchObject({ status: 404, code: 20404 });
    });

    it('a StatusCallback the callback policy refuses is 21609; media is 21620', async () => {
      const internal = await rejection(
        client.messages.create({
          to: '+14155550100',
          from: '+15005550006',
          body: 'x',
          statusCallback: 'http://10.0.0.8/status',
        }),
      );
      expect(internal).toMatchObject({ status: 400, code: 21609 });
      const media = await rejection(
        client.messages.create({
          to: '+14155550100',
          from: '+15005550006',
          body: 'x',
          mediaUrl: ['https://example.com/cat.png'],
        }),
      );
      expect(media).toMatchObject({ status: 400, code: 21620 });
    });

    it("over the key's rate limit is 20429 (429) with Retry-After", async () => {
      const throttled = clientFor(THROTTLED_SID, THROTTLED_TOKEN);
      await throttled.messages.create({ to: '+14155550100', from: '+15005550006', body: 'one' });
      const error = await rejection(
        throttled.messages.create({ to: '+14155550100', from: '+15005550006', body: 'two' }),
      );
      expect(error).toMatchObject({ status: 429, code: 20429 });
    });
  });

  describe('I-Twilio-Idempotency-Token', () => {
    it('answers a repeated request with the first message and sends it once', async () => {
      const idempotent = clientFor(APP_SID, APP_TOKEN, { 'I-Twilio-Idempotency-Token': 'order-1234-sms' });
      const before = simulator.requests.filter((sent) => formOf(sent).get('Body') === 'once only').length;
      const first = await idempotent.messages.create({
        to: '+14155550105',
        from: '+15005550006',
        body: 'once only',
      });
      const again = await idempotent.messages.create({
        to: '+14155550105',
        from: '+15005550006',
        body: 'once only',
      });
      expect(again.sid).toBe(first.sid);
      await eventually(async () =>
        (await client.messages(first.sid).fetch()).status === 'delivered' ? true : undefined,
      );
      expect(simulator.requests.filter((sent) => formOf(sent).get('Body') === 'once only').length).toBe(
        before + 1,
      );
    });

    it('refuses the token with other parameters as 20409 (409)', async () => {
      const idempotent = clientFor(APP_SID, APP_TOKEN, { 'I-Twilio-Idempotency-Token': 'order-5678-sms' });
      await idempotent.messages.create({ to: '+14155550106', from: '+15005550006', body: 'first' });
      const error = await rejection(
        idempotent.messages.create({ to: '+14155550106', from: '+15005550006', body: 'second' }),
      );
      expect(error).toMatchObject({ status: 409, code: 20409 });
    });
  });
});
