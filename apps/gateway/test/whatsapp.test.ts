// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the tests short.
import { join } from 'node:path';
import { hubSignature } from '@msg/plugin-whatsapp';
import { createWhatsAppSimulator, type WhatsAppSimulator } from '@msg/plugin-whatsapp/simulator';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  eventually,
  gatewayPerTest,
  startGateway,
  type TestGateway,
  temporaryDirectory,
} from './helpers.js';

const WHATSAPP = {
  accessToken: 'gateway-test-whatsapp-token',
  phoneNumberId: '106540352242922',
  appSecret: 'gateway-test-whatsapp-app-secret',
  verifyToken: 'gateway-test-verify-token',
};
const TO = '+260971234567';

describe('WhatsApp through the gateway', () => {
  let simulator: WhatsAppSimulator;
  let gateway: TestGateway;
  let storePath: string;

  beforeAll(async () => {
    simulator = createWhatsAppSimulator({
      accounts: {
        [WHATSAPP.accessToken]: {
          name: 'gateway',
          phoneNumberIds: [WHATSAPP.phoneNumberId],
          appSecret: WHATSAPP.appSecret,
        },
      },
      templates: [{ name: 'verification_code', language: 'en_US', bodyParameters: 1 }],
      callbackDelayMs: 20,
    });
    await simulator.start();
    storePath = join(temporaryDirectory(), 'gateway.sqlite');
    gateway = await startGateway({
      store: { driver: 'sqlite', path: storePath },
      plugins: [
        {
          resolve: '@msg/plugin-whatsapp',
          id: 'wa',
          options: { ...WHATSAPP, baseUrl: simulator.url },
        },
        { resolve: '@msg/plugin-console', id: 'console', options: { silent: true } },
      ],
      routing: {
        routes: [
          { id: 'whatsapp', match: { channel: 'whatsapp' }, providers: ['wa'] },
          { id: 'sms', match: { channel: 'sms' }, providers: ['console'] },
        ],
      },
    });
    // The app's webhook URL, as set in Meta's dashboard.
    simulator.callbackUrl = `${gateway.url}/webhooks/wa`;
  });
  afterAll(async () => {
    await gateway?.stop();
    await simulator?.stop();
  });

  const statusOf = (id: string, status: string) =>
    eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${id}`);
      return read.body.status === status ? read.body : undefined;
    });

  it('sends a text message and ends it read, with every status the signed webhooks brought', async () => {
    const sent = await gateway.call('POST', '/v1/messages', {
      body: { channel: 'whatsapp', to: '+260 97 123 4567', text: 'Muli bwanji' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body.channel).toBe('whatsapp');
    const message = await statusOf(sent.body.id, 'read');
    expect(message).toMatchObject({ channel: 'whatsapp', to: TO, provider: 'wa' });
    expect(message.providerMessageId).toMatch(/^wamid\./);
    expect(message.events.map((event: any) => event.status).sort()).toEqual(['delivered', 'read', 'sent']);
    const wire = JSON.parse(simulator.requests.at(-1)!.body.toString('utf8'));
    expect(wire).toMatchObject({ to: '260971234567', biz_opaque_callback_data: sent.body.id, type: 'text' });
  });

  it('takes a template without a channel as WhatsApp', async () => {
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: {
        to: TO,
        template: {
          name: 'verification_code',
          language: 'en_US',
          components: [{ type: 'body', parameters: [{ type: 'text', text: '482913' }] }],
        },
      },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ channel: 'whatsapp', provider: 'wa' });
    expect(JSON.parse(simulator.requests.at(-1)!.body.toString('utf8')).template).toEqual({
      name: 'verification_code',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: '482913' }] }],
    });
  });

  it('refuses, naming the field, what a channel does not take', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [
        { channel: 'whatsapp', to: TO, text: 'hi', from: 'ACME' },
        'from',
        'is for SMS and email only, not WhatsApp',
      ],
      [
        { channel: 'whatsapp', to: TO, text: 'hi', subject: 'Hi' },
        'subject',
        'is for email only, not WhatsApp',
      ],
      [
        { channel: 'sms', to: TO, text: 'hi', template: { name: 'x', language: 'en' } },
        'template',
        'is for WhatsApp only, not SMS',
      ],
      [
        { channel: 'whatsapp', to: TO, text: 'hi', template: { name: 'x', language: 'en' } },
        'template',
        'a WhatsApp message is text or a template, not both',
      ],
      [{ channel: 'whatsapp', to: TO }, 'text', 'a WhatsApp message needs text or a template'],
      [
        { to: TO, template: { name: 'Verification Code', language: 'en_US' } },
        'template.name',
        'must be a template name: lower-case letters, digits and underscores, up to 512 characters',
      ],
      [{ channel: 'whatsapp', to: 'not a number', text: 'hi' }, 'to', ''],
    ];
    for (const [body, path, message] of cases) {
      const answer = await gateway.call('POST', '/v1/messages', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      const issue = answer.body.error.issues.find((candidate: any) => candidate.path === path);
      expect(issue?.message, `${path} of ${JSON.stringify(body)}`).toContain(message);
    }
  });

  it('ends a message read whatever order its statuses arrive in, and counts read as delivered', async () => {
    for (const outcome of ['out-of-order', 'read-only', 'duplicate']) {
      simulator.outcomes.set('260971234567', outcome);
      const sent = await gateway.call('POST', '/v1/messages', {
        body: { channel: 'whatsapp', to: TO, text: outcome },
      });
      const message = await statusOf(sent.body.id, 'read');
      // Each status once, though `duplicate` posts every one twice.
      const statuses = message.events.map((event: any) => event.status);
      expect(new Set(statuses).size, outcome).toBe(statuses.length);
      const database = new Database(storePath, { readonly: true });
      try {
        const row = database
          .prepare('SELECT delivered_at FROM messages WHERE id = ?')
          .get(sent.body.id) as any;
        // `read-only` never says delivered: read alone must mark the message delivered.
        expect(row.delivered_at, `${outcome}: delivered_at`).toEqual(expect.any(Number));
      } finally {
        database.close();
      }
    }
    simulator.outcomes.clear();
  });

  it('keeps the first final outcome when Meta reports failed, then delivered (a second device)', async () => {
    simulator.outcomes.set('260971234567', 'delivered-after-failed');
    const sent = await gateway.call('POST', '/v1/messages', {
      body: { channel: 'whatsapp', to: TO, text: 'two devices' },
    });
    const message = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
      return read.body.events?.length === 2 ? read.body : undefined;
    });
    expect(message.status).toBe('failed');
    simulator.outcomes.clear();
  });

  it('answers the webhook verification handshake on GET, and only with the right token', async () => {
    expect(await simulator.verifySubscription(`${gateway.url}/webhooks/wa`, WHATSAPP.verifyToken)).toBe(true);
    expect(await simulator.verifySubscription(`${gateway.url}/webhooks/wa`, 'a-wrong-verify-token')).toBe(
      false,
    );
    const wrong = await request(
      `${gateway.url}/webhooks/wa?hub.mode=subscribe&hub.verify_token=nope-nope-nope&hub.challenge=42`,
    );
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
    // A provider without webhooks has no GET either.
    expect((await gateway.call('GET', '/webhooks/console', { key: null })).status).toBe(404);
  });

  it('refuses a status post without a valid X-Hub-Signature-256, and stores a signed one', async () => {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550000000', phone_number_id: WHATSAPP.phoneNumberId },
                statuses: [
                  {
                    id: 'wamid.unknown',
                    status: 'read',
                    timestamp: '1767261600',
                    recipient_id: '260971234567',
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const post = (signature: string) =>
      gateway.call('POST', '/webhooks/wa', {
        raw: body,
        key: null,
        headers: { 'x-hub-signature-256': signature },
      });
    expect((await post(hubSignature(body, 'another-app-secret'))).status).toBe(401);
    expect((await post(hubSignature(body, WHATSAPP.appSecret))).status).toBe(200);
  });

  it('routes by channel in a dry run, and documents the channel, templates and the webhook GET', async () => {
    const route = await gateway.call('GET', `/v1/route?to=${encodeURIComponent(TO)}&channel=whatsapp`, {
      key: ADMIN_KEY,
    });
    expect(route.status).toBe(200);
    expect(JSON.stringify(route.body)).toContain('wa');
    const openapi = await gateway.call('GET', '/openapi.json', { key: null });
    const message = openapi.body.components.schemas.Message;
    expect(message.properties.channel.enum).toEqual(['sms', 'email', 'whatsapp']);
    expect(message.properties.template.required).toEqual(['name', 'language']);
    expect(openapi.body.paths['/webhooks/{providerInstanceId}'].get).toBeDefined();
  });
});

describe('WhatsApp without a routing section', () => {
  const gatewayWith = gatewayPerTest();

  it('gets a default route of its own, over the WhatsApp providers in config order', async () => {
    const gateway = await gatewayWith({
      plugins: [
        { resolve: '@msg/plugin-console', id: 'console-sms', options: { silent: true } },
        {
          resolve: '@msg/plugin-console',
          id: 'console-whatsapp',
          options: { channel: 'whatsapp', silent: true },
        },
      ],
    });
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { channel: 'whatsapp', to: TO, text: 'hi' },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      provider: 'console-whatsapp',
      routingReason: expect.stringContaining('route "whatsapp"'),
    });
  });
});
