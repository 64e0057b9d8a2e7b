import { ValidationError, type WebhookRequest, WebhookVerificationError } from '@msg/core';
import { type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MtnPluginOptions, MtnProvider } from '../src/index.js';
import { type MtnSimulator, sandbox } from '../src/simulator.js';
import {
  ACME,
  deliveryReport,
  GLOBEX,
  optionsFor,
  providers,
  rejection,
  signal,
  sms,
  startSimulator,
} from './helpers.js';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const harness = providers();
let simulator: MtnSimulator;

beforeAll(async () => {
  simulator = await startSimulator({ callbackDelayMs: 5 });
});
afterAll(async () => {
  await harness.closeAll();
  await simulator.stop();
});

async function refused(provider: MtnProvider, request: WebhookRequest): Promise<void> {
  const error = await rejection(provider.parseWebhook!(request));
  expect(WebhookVerificationError.isInstance(error), 'a WebhookVerificationError').toBe(true);
}

const report = {
  transactionId: 'b8a1c2d3-0a1b-2c3d4e5f6a7b',
  clientCorrelator: 'msg-0001',
  deliveryStatus: 'DeliveredToTerminal',
  receiverAddress: '260961000001',
  timestamp: '2026-03-01T09:59:58.000Z',
};

describe('delivery reports from the simulator', () => {
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await webhookReceiver();
  });
  afterAll(() => receiver.close());

  it('arrive at the subscribed URL with the token and map to events for our messages', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator, { allowedIps: ['127.0.0.0/8'] }), {
      webhookUrl: `${receiver.url}/webhooks/mtn-main`,
    });
    simulator.outcomes.set('+260961000002', 'DeliveryImpossible');
    simulator.outcomes.set('+260961000003', 'Expired');
    const numbers = ['+260961000001', '+260961000002', '+260961000003'];
    const results = await Promise.all(
      numbers.map((to, index) => provider.send(sms(`msg-${index}`, to), { signal: signal() })),
    );
    const received = await receiver.waitFor(3);
    expect(received[0]?.path).toBe(`/webhooks/mtn-main?token=${ACME.webhookToken}`);
    expect(received[0]?.headers['content-type']).toBe('application/json');
    const events = (await Promise.all(received.map((request) => provider.parseWebhook!(request)))).flatMap(
      (result) => result.events,
    );
    const byMessage = new Map(events.map((event) => [event.messageId, event]));
    expect(byMessage.get('msg-0')).toMatchObject({
      providerMessageId: results[0]?.providerMessageId,
      status: 'delivered',
      providerStatus: 'DeliveredToTerminal',
      recipient: '+260961000001',
      error: undefined,
    });
    expect(byMessage.get('msg-1')).toMatchObject({
      providerMessageId: results[1]?.providerMessageId,
      status: 'undelivered',
      error: { code: 'DeliveryImpossible' },
    });
    expect(byMessage.get('msg-2')).toMatchObject({ status: 'expired', recipient: '+260961000003' });
  });
});

describe('verification', () => {
  it('accepts the right token and refuses a missing, wrong or other instance token', async () => {
    const acme = await harness.make(optionsFor(ACME, simulator));
    const globex = await harness.make(optionsFor(GLOBEX, simulator));
    await expect(acme.parseWebhook!(deliveryReport(report, ACME.webhookToken))).resolves.toBeDefined();
    await refused(acme, deliveryReport(report, undefined));
    await refused(acme, deliveryReport(report, `${ACME.webhookToken}x`));
    await refused(acme, deliveryReport(report, ACME.webhookToken.slice(0, -1)));
    await refused(globex, deliveryReport(report, ACME.webhookToken));
  });

  it('refuses every report when no webhookToken is configured', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator, { webhookToken: undefined }));
    await refused(provider, deliveryReport(report, ACME.webhookToken));
  });

  it('checks the caller against allowedIps, IPv4-mapped addresses included', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator, { allowedIps: ['196.201.214.0/24'] }));
    await expect(
      provider.parseWebhook!(deliveryReport(report, ACME.webhookToken, '::ffff:196.201.214.7')),
    ).resolves.toBeDefined();
    await refused(provider, deliveryReport(report, ACME.webhookToken, '10.0.0.1'));
    await refused(provider, deliveryReport(report, ACME.webhookToken, undefined as unknown as string));
  });
});

describe('parsing', () => {
  it('maps every field, keeping the report timestamp and a stable event id', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator), { now: () => NOW });
    const { events } = await provider.parseWebhook!(deliveryReport(report, ACME.webhookToken));
    expect(events).toEqual([
      {
        providerMessageId: report.transactionId,
        messageId: 'msg-0001',
        status: 'delivered',
        providerStatus: 'DeliveredToTerminal',
        occurredAt: new Date('2026-03-01T09:59:58.000Z'),
        recipient: '+260961000001',
        eventId: `${report.transactionId}:260961000001:DeliveredToTerminal`,
        error: undefined,
      },
    ]);
  });

  it('reads an array of reports, uses now() without a timestamp and unknown for unknown words', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator), { now: () => NOW });
    const { events } = await provider.parseWebhook!(
      deliveryReport(
        [
          { ...report, timestamp: undefined, deliveryStatus: 'DeliveredToNetwork' },
          { ...report, receiverAddress: 'tel:+260961000009', deliveryStatus: 'SomethingNew' },
        ],
        ACME.webhookToken,
      ),
    );
    expect(events.map((event) => [event.status, event.recipient])).toEqual([
      ['sent', '+260961000001'],
      ['unknown', '+260961000009'],
    ]);
    expect(events[0]?.occurredAt).toEqual(new Date(NOW));
  });

  it('returns no events for a mobile-originated message and refuses a body that is not JSON', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator));
    const inbound = { senderAddress: '260961000001', receiverAddress: '131', message: 'STOP' };
    await expect(provider.parseWebhook!(deliveryReport(inbound, ACME.webhookToken))).resolves.toEqual({
      events: [],
    });
    const broken = { ...deliveryReport(report, ACME.webhookToken), rawBody: new TextEncoder().encode('{') };
    expect(ValidationError.isInstance(await rejection(provider.parseWebhook!(broken)))).toBe(true);
    const missingId = deliveryReport({ deliveryStatus: 'Expired' }, ACME.webhookToken);
    expect(ValidationError.isInstance(await rejection(provider.parseWebhook!(missingId)))).toBe(true);
  });
});

describe('sandbox', () => {
  it('gives options that send through the simulator and deliver verified reports to the gateway URL', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/mtn-sandbox`;
    const simulated = await sandbox({ instanceId: 'mtn-sandbox', webhookUrl });
    try {
      const provider = await harness.make(simulated.options as MtnPluginOptions, { webhookUrl });
      const result = await provider.send(sms('msg-sandbox'), { signal: signal() });
      const [request] = await receiver.waitFor(1);
      const { events } = await provider.parseWebhook!(request as WebhookRequest);
      expect(events[0]).toMatchObject({
        providerMessageId: result.providerMessageId,
        messageId: 'msg-sandbox',
        status: 'delivered',
      });
    } finally {
      await simulated.stop();
      await receiver.close();
    }
  });
});
