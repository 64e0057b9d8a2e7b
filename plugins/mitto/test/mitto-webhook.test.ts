import {
  createProvider,
  type DeliveryEvent,
  type Provider,
  silentLogger,
  ValidationError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';
import { rejectionOf, webhookReceiver } from '@msg/testing';
import { afterAll, describe, expect, it } from 'vitest';
import mittoPlugin, { MITTO_STATUS_MAP, type MittoPluginOptions } from '../src/index.js';
import { createMittoSimulator } from '../src/simulator.js';
import { ACME, GLOBEX, NOW, report, reportFields, WEBHOOK_URL } from './helpers.js';

const providers: Provider[] = [];

async function make(options: Partial<MittoPluginOptions> = {}): Promise<Provider<'sms'>> {
  const provider = await createProvider(
    mittoPlugin,
    { ...ACME, baseUrl: 'http://127.0.0.1:9', from: 'ACME', ...options },
    { instanceId: 'mitto-webhook', logger: silentLogger, now: () => NOW, webhookUrl: WEBHOOK_URL },
  );
  providers.push(provider);
  return provider as Provider<'sms'>;
}

async function eventsOf(provider: Provider, request: WebhookRequest): Promise<DeliveryEvent[]> {
  return (await provider.parseWebhook!(request)).events;
}

afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
});

describe('reports from the simulator, on the assumed contract', () => {
  it('arrive as JSON at the URL with the token, and name our message, or the bulk for a bulk send', async () => {
    const receiver = await webhookReceiver();
    const simulator = createMittoSimulator({ accounts: { [ACME.apiKey]: 'acme' }, callbackDelayMs: 5 });
    await simulator.start();
    try {
      const provider = await createProvider(
        mittoPlugin,
        { ...ACME, baseUrl: simulator.url, from: 'ACME', allowedIps: ['127.0.0.0/8'] },
        {
          instanceId: 'mitto-main',
          logger: silentLogger,
          now: Date.now,
          webhookUrl: `${receiver.url}/webhooks/mitto`,
        },
      );
      providers.push(provider);
      simulator.outcomes.set('41751230002', 'undelivered:12');
      const single = await provider.send(
        { id: 'msg_one', channel: 'sms', to: '+41751230001', text: 'Hello' },
        { signal: new AbortController().signal },
      );
      const bulk = await provider.sendBatch!(
        ['+41751230002', '+41751230003'].map((to, index) => ({
          id: `msg_b${index}`,
          channel: 'sms' as const,
          to,
          text: 'Hi all',
        })),
        { signal: new AbortController().signal },
      );
      const received = await receiver.waitFor(3);
      expect(received[0]?.path).toBe(`/webhooks/mitto?token=${ACME.webhookToken}`);
      expect(received[0]?.headers['content-type']).toBe('application/json');
      const events = (await Promise.all(received.map((request) => eventsOf(provider, request)))).flat();
      const byId = Object.fromEntries(events.map((event) => [event.providerMessageId, event]));
      expect(byId[single.providerMessageId]).toMatchObject({ messageId: 'msg_one', status: 'delivered' });
      const [first, second] = bulk.map((item) => (item.ok ? item.result : undefined));
      expect(byId[first?.providerMessageId as string]).toMatchObject({
        messageId: undefined,
        status: 'undelivered',
        providerStatus: 'Undelivered',
        error: { code: '12' },
        recipient: '41751230002',
        details: { bulkReference: first?.details?.bulkReference },
      });
      expect(byId[second?.providerMessageId as string]).toMatchObject({ status: 'delivered' });
    } finally {
      await simulator.stop();
      await receiver.close();
    }
  });
});

describe('status mapping', () => {
  it('maps the report words and the SMPP words, in any case', async () => {
    const provider = await make();
    expect(MITTO_STATUS_MAP).toEqual({
      delivered: 'delivered',
      delivrd: 'delivered',
      undelivered: 'undelivered',
      undeliv: 'undelivered',
      expired: 'expired',
      rejected: 'failed',
      rejectd: 'failed',
      deleted: 'failed',
      unknown: 'unknown',
      accepted: 'sent',
      acceptd: 'sent',
      enroute: 'sent',
      sent: 'sent',
      buffered: 'sent',
    });
    for (const [word, status] of [
      ['Delivered', 'delivered'],
      ['DELIVRD', 'delivered'],
      ['UNDELIV', 'undelivered'],
      ['Expired', 'expired'],
      ['REJECTD', 'failed'],
      ['Enroute', 'sent'],
      ['Queued', 'unknown'],
    ]) {
      const [event] = await eventsOf(provider, report(reportFields({ status: word as string })));
      expect(event?.status, word).toBe(status);
      expect(event?.providerStatus).toBe(word);
    }
  });

  it('reads the aliases (id, errorCode), the time of the report, and a stable event id', async () => {
    const provider = await make();
    const { messageId: _id, errorcode: _code, ...rest } = reportFields();
    const [event] = await eventsOf(
      provider,
      report({ ...rest, id: 'abc', status: 'Undelivered', errorCode: '5' }),
    );
    expect(event).toMatchObject({
      providerMessageId: 'abc',
      messageId: 'msg_1',
      error: { code: '5' },
      occurredAt: new Date('2026-03-01T09:59:58.123Z'),
      eventId: 'abc:undelivered:5',
    });
  });

  it('also reads a GET report (without the token as a field) and a form report', async () => {
    const provider = await make();
    const query = new URLSearchParams({ ...reportFields(), token: ACME.webhookToken });
    const get: WebhookRequest = {
      method: 'GET',
      url: `${WEBHOOK_URL}?${query}`,
      headers: {},
      rawBody: new Uint8Array(),
    };
    expect(await eventsOf(provider, get)).toMatchObject([
      { providerMessageId: '715118ef01aa4480bbd67324a0459b0b' },
    ]);
    const form: WebhookRequest = {
      ...report(reportFields()),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: new TextEncoder().encode(new URLSearchParams(reportFields({ status: 'Expired' })).toString()),
    };
    expect(await eventsOf(provider, form)).toMatchObject([{ status: 'expired' }]);
  });

  it('refuses a verified report without an id or a status as invalid input', async () => {
    const provider = await make();
    const { messageId: _id, ...withoutId } = reportFields();
    await rejectionOf(provider.parseWebhook!(report(withoutId)), ValidationError);
    const { status: _status, ...withoutStatus } = reportFields();
    await rejectionOf(provider.parseWebhook!(report(withoutStatus)), ValidationError);
  });
});

describe('verification (Mitto signs nothing)', () => {
  it('refuses a report without the token, with a wrong one or another instance token', async () => {
    const provider = await make();
    for (const token of [null, '', 'wrong', `${ACME.webhookToken}x`, GLOBEX.webhookToken]) {
      const error = await rejectionOf(
        provider.parseWebhook!(report(reportFields(), token)),
        WebhookVerificationError,
      );
      expect(error.message).not.toContain(ACME.webhookToken);
    }
  });

  it('refuses addresses outside allowedIps, and every report without a webhookToken', async () => {
    const fenced = await make({ allowedIps: ['198.51.100.0/24'] });
    await expect(
      eventsOf(fenced, report(reportFields(), ACME.webhookToken, '198.51.100.7')),
    ).resolves.toHaveLength(1);
    await rejectionOf(
      fenced.parseWebhook!(report(reportFields(), ACME.webhookToken, '127.0.0.1')),
      WebhookVerificationError,
    );
    const open = await make({ webhookToken: undefined });
    const error = await rejectionOf(open.parseWebhook!(report(reportFields())), WebhookVerificationError);
    expect(error.message).toContain('no webhookToken');
  });
});
