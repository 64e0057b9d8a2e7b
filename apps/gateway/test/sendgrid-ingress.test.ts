import { createSendgridSimulator, type SendgridSimulator } from '@msg/plugin-sendgrid/simulator';
import { type ReceivedWebhook, rejectionOf, type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { Client } from '@sendgrid/client';
import { EventWebhook, EventWebhookHeader } from '@sendgrid/eventwebhook';
import { MailService, type ResponseError } from '@sendgrid/mail';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from './helpers.js';

// Gateway keys given the `SG.` shape, so the SDK's key check has nothing to warn about.
const APP_KEY = 'SG.legacy-app.0123456789abcdef';
const QUIET_KEY = 'SG.quiet-app.0123456789abcdef';
const PLAIN_KEY = 'SG.plain-v1-key.0123456789abcdef';

interface SendgridEvent {
  email: string;
  event: string;
  timestamp: number;
  sg_message_id: string;
  sg_event_id: string;
  [key: string]: unknown;
}

// @sendgrid/helpers, which defines the class, is the SDK's own dependency: recognised by its name.
const responseError = {
  isInstance: (error: unknown): error is ResponseError =>
    error instanceof Error && error.constructor.name === 'ResponseError' && 'response' in error,
};

const eventsOf = (posts: readonly ReceivedWebhook[]): SendgridEvent[] =>
  posts.flatMap((post) => JSON.parse(Buffer.from(post.rawBody).toString()) as SendgridEvent[]);

describe('SendGrid-compatible ingress, driven by the official @sendgrid/mail SDK', () => {
  let simulator: SendgridSimulator;
  let gateway: TestGateway;
  let app: WebhookReceiver;
  let mail: MailService;
  let client: Client;

  /** One SDK instance per key, pointed at the gateway: only the base URL and key change. */
  const sdkFor = (key: string) => {
    const sdkClient = new Client();
    sdkClient.setApiKey(key);
    sdkClient.setDefaultRequest('baseUrl', `${gateway.url}/`);
    const service = new MailService();
    service.setClient(sdkClient);
    return { client: sdkClient, mail: service };
  };
  /** Fields named by SendGrid's error body. */
  const fieldsOf = (error: ResponseError) =>
    (error.response.body as unknown as { errors: Array<{ field: string | null }> }).errors.map(
      (item) => item.field,
    );
  /** What the SDK threw: its `ResponseError`, as for SendGrid's own errors (anything else fails the test). */
  const rejection = (promise: Promise<unknown>) => rejectionOf(promise, responseError);
  beforeAll(async () => {
    simulator = createSendgridSimulator({
      accounts: [{ apiKey: 'SG.provider.0123456789abcdef', label: 'provider' }],
    });
    await simulator.start();
    app = await webhookReceiver();
    gateway = await startGateway({
      apiKeys: [
        {
          id: 'legacy-app',
          key: APP_KEY,
          ingress: { sendgrid: { eventWebhookUrl: `${app.url}/sendgrid/events` } },
        },
        { id: 'quiet-app', key: QUIET_KEY, ingress: { sendgrid: true } },
        { id: 'plain-v1', key: PLAIN_KEY },
        { id: 'operator', key: 'operator-key-0123456789', scopes: ['admin'] },
      ],
      callbacks: { allow: ['127.0.0.1'] },
      plugins: [
        {
          resolve: '@msg/plugin-sendgrid',
          id: 'sendgrid',
          options: {
            apiKey: simulator.account().apiKey,
            baseUrl: simulator.url,
            webhookVerificationKey: simulator.account().webhookVerificationKey,
          },
        },
      ],
    });
    // The provider's own event webhook reaches the gateway, as SendGrid's would.
    simulator.callbackUrl = `${gateway.url}/webhooks/sendgrid`;
    ({ client, mail } = sdkFor(APP_KEY));
  });
  afterAll(async () => {
    await gateway?.stop();
    await simulator?.stop();
    await app?.close();
  });
  beforeEach(() => {
    app.received.length = 0;
  });

  it('answers 202 with X-Message-Id and sends one message per personalization through the router', async () => {
    const before = simulator.requests.length;
    const [response] = await mail.send({
      from: { email: 'shop@example.com', name: 'Shop' },
      subject: 'Your order',
      text: 'Thank you',
      html: '<p>Thank you</p>',
      personalizations: [
        { to: [{ email: 'ann@example.com' }], customArgs: { order: '1001' } },
        { to: [{ email: 'bob@example.com' }, { email: 'cy@example.com' }], subject: 'Your order, Bob' },
      ],
      customArgs: { tenant: 'acme' },
      categories: ['orders'],
      attachments: [
        { content: Buffer.from('receipt').toString('base64'), filename: 'receipt.txt', type: 'text/plain' },
      ],
    });
    expect(response.statusCode).toBe(202);
    const xMessageId = response.headers['x-message-id'] as string;
    expect(xMessageId).toMatch(/^[\w-]{22}$/);
    // Two sends left the gateway for the SendGrid simulator: one per personalization.
    const sends = await eventually(async () => {
      const made = simulator.requests.slice(before).filter((request) => request.path === '/v3/mail/send');
      return made.length === 2 ? made.map((request) => JSON.parse(request.body.toString())) : undefined;
    });
    const bySubject = Object.fromEntries(sends.map((body) => [body.subject, body]));
    expect(bySubject['Your order']?.personalizations[0]).toMatchObject({
      to: [{ email: 'ann@example.com' }],
    });
    expect(bySubject['Your order, Bob']?.personalizations[0]?.to).toHaveLength(2);
    expect(bySubject['Your order']?.categories).toEqual(['orders']);
    expect(bySubject['Your order']?.attachments?.[0]).toMatchObject({ filename: 'receipt.txt' });
  });

  it("posts SendGrid-format events to the key's event webhook, verified by EventWebhook with the key the API shows", async () => {
    const [settings] = await client.request({
      method: 'GET',
      url: '/v3/user/webhooks/event/settings/signed',
    });
    const publicKey = (settings.body as { enabled: boolean; public_key: string }).public_key;
    expect(settings.body).toMatchObject({ enabled: true });
    const [response] = await mail.send({
      from: 'shop@example.com',
      to: 'dee@example.com',
      subject: 'Receipt',
      text: 'Paid',
      customArgs: { order: '1002' },
      categories: ['receipts', 'billing'],
    });
    const xMessageId = response.headers['x-message-id'] as string;
    const posts = await eventually(async () => {
      const mine = app.received.filter((post) =>
        Buffer.from(post.rawBody).toString().includes('dee@example.com'),
      );
      return eventsOf(mine).some((event) => event.event === 'delivered') ? mine : undefined;
    });
    const verifier = new EventWebhook();
    const key = verifier.convertPublicKeyToECDSA(publicKey);
    for (const post of posts) {
      const signature = post.headers[EventWebhookHeader.SIGNATURE().toLowerCase()] as string;
      const timestamp = post.headers[EventWebhookHeader.TIMESTAMP().toLowerCase()] as string;
      const body = Buffer.from(post.rawBody);
      expect(verifier.verifySignature(key, body, signature, timestamp)).toBe(true);
      expect(
        verifier.verifySignature(key, Buffer.concat([body, Buffer.from(' ')]), signature, timestamp),
      ).toBe(false);
      expect(post.path).toBe('/sendgrid/events');
    }
    const events = eventsOf(posts);
    expect(events.map((event) => event.event)).toEqual(['processed', 'delivered']);
    for (const event of events) {
      expect(event).toMatchObject({
        email: 'dee@example.com',
        order: '1002',
        category: ['receipts', 'billing'],
      });
      expect(event.sg_message_id.split('.')[0]).toBe(xMessageId);
      expect(event.timestamp).toBeGreaterThan(Date.now() / 1000 - 60);
    }
  });

  it('reads the status back from the Email Activity API by the sg_message_id of its events', async () => {
    await mail.send({ from: 'shop@example.com', to: 'eve@example.com', subject: 'Status', text: 'x' });
    const delivered = await eventually(async () =>
      eventsOf(app.received).find(
        (event) => event.email === 'eve@example.com' && event.event === 'delivered',
      ),
    );
    const [activity] = await client.request({
      method: 'GET',
      url: `/v3/messages/${delivered.sg_message_id}`,
    });
    expect(activity.body).toMatchObject({
      msg_id: delivered.sg_message_id,
      from_email: 'shop@example.com',
      to_email: 'eve@example.com',
      subject: 'Status',
      status: 'delivered',
      events: [
        expect.objectContaining({ event_name: 'processed' }),
        expect.objectContaining({ event_name: 'delivered' }),
      ],
    });
    const unknown = await rejection(
      client.request({ method: 'GET', url: `/v3/messages/${delivered.sg_message_id}x` }),
    );
    expect(unknown.code).toBe(404);
  });

  it('reports a bounce as SendGrid does', async () => {
    simulator.outcomes.set('gone@example.com', 'bounce');
    await mail.send({ from: 'shop@example.com', to: 'gone@example.com', subject: 'Hi', text: 'Hi' });
    const bounce = await eventually(async () =>
      eventsOf(app.received).find((event) => event.event === 'bounce'),
    );
    expect(bounce).toMatchObject({ email: 'gone@example.com', type: 'bounce', status: '5.1.1' });
  });

  it('validates a sandbox-mode request and answers 200 without storing or sending anything', async () => {
    const before = simulator.requests.length;
    const [response] = await mail.send({
      from: 'shop@example.com',
      to: 'sandbox@example.com',
      subject: 'Test',
      text: 'Test',
      mailSettings: { sandboxMode: { enable: true } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-message-id']).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(simulator.requests.length).toBe(before);
    expect(eventsOf(app.received).filter((event) => event.email === 'sandbox@example.com')).toEqual([]);
  });

  describe("refusals: SendGrid's error body, raised by the SDK as ResponseError", () => {
    it('a missing from is 400 naming the field', async () => {
      const error = await rejection(
        client.request({
          method: 'POST',
          url: '/v3/mail/send',
          body: {
            personalizations: [{ to: [{ email: 'ann@example.com' }] }],
            subject: 'x',
            content: [{ type: 'text/plain', value: 'x' }],
          },
        }),
      );
      expect(error.code).toBe(400);
      expect(error.response.body).toEqual({
        errors: [expect.objectContaining({ field: 'from', message: expect.stringContaining('from object') })],
      });
    });

    it('an invalid recipient, a missing subject and too many recipients name SendGrid fields', async () => {
      const error = await rejection(
        mail.send({
          from: 'shop@example.com',
          subject: '',
          text: 'x',
          personalizations: [
            { to: [{ email: 'ann@example.com' }] },
            { to: [{ email: 'not-an-address' }] },
            { to: Array.from({ length: 51 }, (_, index) => ({ email: `r${index}@example.com` })) },
          ],
        }),
      );
      expect(error.code).toBe(400);
      const fields = fieldsOf(error);
      expect(fields).toEqual(
        expect.arrayContaining(['subject', 'personalizations.1.to.0.email', 'personalizations.2.to']),
      );
    });

    it('a dynamic template is refused rather than sent without it', async () => {
      const error = await rejection(
        mail.send({
          from: 'shop@example.com',
          to: 'ann@example.com',
          templateId: 'd-123',
          dynamicTemplateData: { name: 'Ann' },
        }),
      );
      expect(error.code).toBe(400);
      const fields = fieldsOf(error);
      expect(fields).toContain('template_id');
    });

    it('a wrong key is 401; a gateway key without SendGrid ingress is 403', async () => {
      const message = { from: 'shop@example.com', to: 'ann@example.com', subject: 'x', text: 'x' };
      const wrong = await rejection(sdkFor('SG.wrong.0123456789abcdef').mail.send(message));
      expect(wrong.code).toBe(401);
      expect(wrong.response.body).toEqual({
        errors: [
          {
            field: null,
            help: null,
            message: 'The provided authorization grant is invalid, expired, or revoked',
          },
        ],
      });
      const plain = await rejection(sdkFor(PLAIN_KEY).mail.send(message));
      expect(plain.code).toBe(403);
      expect(plain.response.body).toEqual({
        errors: [{ field: null, help: null, message: 'access forbidden' }],
      });
    });
  });

  it('sends for a key without an event webhook, and posts no events', async () => {
    const [response] = await sdkFor(QUIET_KEY).mail.send({
      from: 'shop@example.com',
      to: 'quiet@example.com',
      subject: 'x',
      text: 'x',
    });
    expect(response.statusCode).toBe(202);
    await eventually(async () =>
      simulator.requests.some((request) => request.body.toString().includes('quiet@example.com'))
        ? true
        : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(eventsOf(app.received).filter((event) => event.email === 'quiet@example.com')).toEqual([]);
  });
});
