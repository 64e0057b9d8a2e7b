import { createMailgunSimulator } from '@msg/plugin-mailgun/simulator';
import { createSendgridSimulator, generateSendgridApiKey } from '@msg/plugin-sendgrid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../src/container.js';
import { ADMIN_KEY, eventually, startGateway, type TestGateway } from './helpers.js';

const MESSAGES = 20;

describe('shadow mode: SendGrid carries the traffic, Mailgun is measured in its test mode', () => {
  let gateway: TestGateway;
  const sendgrid = createSendgridSimulator({
    accounts: [{ apiKey: generateSendgridApiKey(), label: 'live' }],
  });
  const mailgun = createMailgunSimulator({
    accounts: [
      {
        apiKey: 'key-shadow-0123456789abcdef',
        signingKey: 'shadow-signing-key',
        domains: ['mg.example.com'],
      },
    ],
  });

  beforeAll(async () => {
    await Promise.all([sendgrid.start(), mailgun.start()]);
    const account = sendgrid.account();
    gateway = await startGateway({
      plugins: [
        {
          resolve: '@msg/plugin-sendgrid',
          id: 'sendgrid',
          options: {
            apiKey: account.apiKey,
            baseUrl: sendgrid.url,
            webhookVerificationKey: account.webhookVerificationKey,
          },
        },
        {
          resolve: '@msg/plugin-mailgun',
          id: 'mailgun',
          options: {
            apiKey: 'key-shadow-0123456789abcdef',
            domain: 'mg.example.com',
            baseUrl: mailgun.url,
            webhookSigningKey: 'shadow-signing-key',
          },
        },
      ],
      routing: {
        routes: [
          {
            id: 'email',
            providers: ['sendgrid', 'mailgun'],
            migration: {
              id: 'sendgrid-to-mailgun',
              from: ['sendgrid'],
              to: ['mailgun'],
              mode: 'shadow',
              shadow: { sample: 1 },
            },
          },
        ],
      },
    });
    sendgrid.callbackUrl = `${gateway.url}/webhooks/sendgrid`;
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([sendgrid.stop(), mailgun.stop()]);
  });

  it('sends every message once through from, validates each on to without delivering it, and compares them', async () => {
    const ids: string[] = [];
    for (let index = 0; index < MESSAGES; index++) {
      const sent = await gateway.call('POST', '/v1/messages', {
        body: {
          from: 'app@example.com',
          to: `user${index}@example.com`,
          subject: 'hi',
          text: `message ${index}`,
        },
      });
      ids.push(sent.body.id);
    }
    const store = gateway.gateway.container.get(Tokens.MessageStore);
    const messages = await eventually(async () => {
      const read = await Promise.all(ids.map((id) => store.get(id)));
      return read.every((message) => message?.status === 'delivered') ? read : undefined;
    }, 10_000);
    expect(new Set(messages.map((message) => message?.providerId))).toEqual(new Set(['sendgrid']));
    // Each recipient got one message, through SendGrid; Mailgun took none for delivery.
    expect(sendgrid.accepted).toHaveLength(MESSAGES);
    const view = await eventually(async () => {
      const read = await gateway.call('GET', '/v1/migrations/sendgrid-to-mailgun', { key: ADMIN_KEY });
      return read.body.metrics.to.wouldAcceptRate.sample === MESSAGES ? read.body : undefined;
    });
    expect(mailgun.accepted).toEqual([]);
    expect(mailgun.requests.filter((request) => request.method === 'POST')).toHaveLength(MESSAGES);
    expect(view.metrics.to.wouldAcceptRate.value).toBe(1);
    expect(view.metrics.to.p95ValidationMs.value).toBeGreaterThanOrEqual(0);
    const metrics = (await gateway.call('GET', '/metrics', { key: null })).body as string;
    expect(metrics).toContain(
      `msg_shadow_validations_total{provider="mailgun",outcome="accepted"} ${MESSAGES}`,
    );
  });
});
