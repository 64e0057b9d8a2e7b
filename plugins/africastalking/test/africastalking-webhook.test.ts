import {
  createProvider,
  type Provider,
  type SendResult,
  silentLogger,
  ValidationError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import africasTalkingPlugin, {
  AFRICASTALKING_STATUS_MAP,
  type AfricasTalkingPluginOptions,
} from '../src/index.js';
import { createAfricasTalkingSimulator } from '../src/simulator.js';
import { ACME, deliveryReport, GLOBEX, REPORT_STATUSES, WEBHOOK_URL } from './helpers.js';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const providers: Provider[] = [];

async function make(options: Partial<AfricasTalkingPluginOptions> = {}): Promise<Provider<'sms'>> {
  const provider = await createProvider(
    africasTalkingPlugin,
    { ...ACME, baseUrl: 'http://127.0.0.1:9', ...options },
    { instanceId: 'africastalking-webhook', logger: silentLogger, now: () => NOW, webhookUrl: WEBHOOK_URL },
  );
  providers.push(provider);
  return provider as Provider<'sms'>;
}

const report = {
  id: 'ATXid_1',
  status: 'Success',
  phoneNumber: '+254711000001',
  networkCode: '63902',
  retryCount: '0',
};

async function refusal(provider: Provider, request: WebhookRequest): Promise<WebhookVerificationError> {
  const error = await provider.parseWebhook!(request).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(WebhookVerificationError.isInstance(error), 'a WebhookVerificationError').toBe(true);
  return error as WebhookVerificationError;
}

afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
});

describe('delivery reports from the simulator', () => {
  const simulator = createAfricasTalkingSimulator({ accounts: { acme: ACME.apiKey }, callbackDelayMs: 5 });
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

  beforeAll(async () => {
    receiver = await webhookReceiver();
    simulator.callbackUrl = `${receiver.url}/webhooks/africastalking-main?token=${ACME.webhookToken}`;
    await simulator.start();
  });
  afterAll(async () => {
    await simulator.stop();
    await receiver.close();
  });

  it('are received as form posts carrying the token and parsed into normalised events', async () => {
    const provider = await make({ baseUrl: simulator.url, allowedIps: ['127.0.0.0/8'] });
    simulator.outcomes.set('+254711000002', 'Failed:UserInBlackList');
    simulator.outcomes.set('+254711000003', 'AbsentSubscriber');
    const numbers = ['+254711000001', '+254711000002', '+254711000003'];
    const results = await provider.sendBatch!(
      numbers.map((to, index) => ({ id: `m-${index}`, channel: 'sms' as const, to, text: 'Hello' })),
      { signal: new AbortController().signal },
    );
    const ids = results.map((result) => (result.ok ? result.result.providerMessageId : 'failed'));
    const received = await receiver.waitFor(3);
    expect(received[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const events = (await Promise.all(received.map((request) => provider.parseWebhook!(request)))).flatMap(
      (result) => result.events,
    );
    const byRecipient = Object.fromEntries(events.map((event) => [event.recipient, event]));
    expect(byRecipient['+254711000001']).toMatchObject({
      providerMessageId: ids[0],
      status: 'delivered',
      providerStatus: 'Success',
      details: { networkCode: '63902', retryCount: '0' },
      occurredAt: new Date(NOW),
    });
    expect(byRecipient['+254711000002']).toMatchObject({
      providerMessageId: ids[1],
      status: 'undelivered',
      providerStatus: 'Failed',
      error: { code: 'UserInBlackList' },
    });
    expect(byRecipient['+254711000003']).toMatchObject({ providerMessageId: ids[2], status: 'undelivered' });
  });

  it('are not sent for a recipient rejected at send time', async () => {
    const provider = await make({ baseUrl: simulator.url });
    receiver.received.length = 0;
    simulator.outcomes.set('+254711000004', 'InvalidPhoneNumber');
    const result = await provider
      .send(
        { id: 'x', channel: 'sms', to: '+254711000004', text: 'Hi' },
        { signal: new AbortController().signal },
      )
      .then(
        (value: SendResult) => value,
        (error: unknown) => error,
      );
    expect(result).toMatchObject({ kind: 'permanent', providerCode: '403' });
    await simulator.callbacks.idle();
    expect(receiver.received).toHaveLength(0);
  });
});

describe('status mapping', () => {
  it('maps every report status, keeps the failure reason as the error code and the network code in details', async () => {
    const provider = await make();
    const expected = REPORT_STATUSES;
    expect(AFRICASTALKING_STATUS_MAP).toEqual(expected);
    for (const [status, normalised] of Object.entries(expected)) {
      const { events } = await provider.parseWebhook!(
        deliveryReport({ ...report, status }, ACME.webhookToken),
      );
      expect(events[0]?.status, status).toBe(normalised);
    }
    const { events } = await provider.parseWebhook!(
      deliveryReport(
        { ...report, status: 'Rejected', failureReason: 'UserAccountSuspended', retryCount: '2' },
        ACME.webhookToken,
      ),
    );
    expect(events[0]).toMatchObject({
      error: { code: 'UserAccountSuspended' },
      details: { networkCode: '63902', retryCount: '2' },
      eventId: 'ATXid_1:Rejected:UserAccountSuspended:2',
    });
  });

  it('keeps an unknown status as unknown, with the raw word', async () => {
    const provider = await make();
    const { events } = await provider.parseWebhook!(
      deliveryReport({ ...report, status: 'Queued' }, ACME.webhookToken),
    );
    expect(events[0]).toMatchObject({ status: 'unknown', providerStatus: 'Queued' });
  });

  it('also reads a JSON report when the content type says so', async () => {
    const provider = await make();
    const request = deliveryReport(report, ACME.webhookToken);
    const { events } = await provider.parseWebhook!({
      ...request,
      headers: { 'content-type': 'application/json' },
      rawBody: new TextEncoder().encode(JSON.stringify({ ...report, status: 'Expired' })),
    });
    expect(events[0]).toMatchObject({ providerMessageId: 'ATXid_1', status: 'expired' });
  });

  it('refuses a verified report without an id as invalid input, not as a bad signature', async () => {
    const provider = await make();
    const error = await provider.parseWebhook!(
      deliveryReport({ status: 'Success' }, ACME.webhookToken),
    ).catch((e) => e);
    expect(ValidationError.isInstance(error)).toBe(true);
  });
});

describe('token verification', () => {
  it('accepts the token from the query string of the registered URL', async () => {
    const provider = await make();
    await expect(provider.parseWebhook!(deliveryReport(report, ACME.webhookToken))).resolves.toMatchObject({
      events: [{ providerMessageId: 'ATXid_1' }],
    });
  });

  it('refuses a report without the token, with a wrong one, or with another instance token', async () => {
    const provider = await make();
    for (const token of [undefined, '', 'wrong', `${ACME.webhookToken}x`, GLOBEX.webhookToken]) {
      const error = await refusal(provider, deliveryReport(report, token));
      expect(error.message).not.toContain(ACME.webhookToken);
    }
  });

  it('refuses the token when it is in the path instead of the query string', async () => {
    const provider = await make();
    const request = deliveryReport(report, undefined);
    await refusal(provider, { ...request, url: `${WEBHOOK_URL}/${ACME.webhookToken}` });
  });

  it('refuses every report when no webhookToken is configured', async () => {
    const provider = await make({ webhookToken: undefined });
    const error = await refusal(provider, deliveryReport(report, ACME.webhookToken));
    expect(error.message).toContain('no webhookToken');
  });

  it('requires a token of at least 16 characters', async () => {
    const error = await make({ webhookToken: 'short' }).catch((e) => e);
    expect(error.code).toBe('MSG_ERR_PLUGIN_OPTIONS');
  });
});

describe('IP allow-list', () => {
  it('accepts listed addresses and blocks, including IPv4-mapped IPv6 peers', async () => {
    const provider = await make({ allowedIps: ['196.201.214.0/24', '52.48.80.1', '2001:db8::/32'] });
    for (const address of ['196.201.214.200', '::ffff:196.201.214.7', '52.48.80.1', '2001:db8:1::5']) {
      await expect(
        provider.parseWebhook!(deliveryReport(report, ACME.webhookToken, address)),
        address,
      ).resolves.toBeDefined();
    }
  });

  it('refuses other addresses, a missing address, and a right address with a wrong token', async () => {
    const provider = await make({ allowedIps: ['196.201.214.0/24'] });
    for (const address of ['196.201.215.1', '10.0.0.1', '2001:db8::1', '']) {
      await refusal(provider, deliveryReport(report, ACME.webhookToken, address));
    }
    await refusal(provider, { ...deliveryReport(report, ACME.webhookToken), remoteAddress: undefined });
    await refusal(provider, deliveryReport(report, 'wrong-token', '196.201.214.1'));
  });

  it('rejects entries that are not addresses or CIDR blocks at load time', async () => {
    for (const entry of ['not-an-ip', '10.0.0.0/33', '10.0.0.0/8/1', '2001:db8::/129']) {
      const error = await make({ allowedIps: [entry] }).catch((e) => e);
      expect(error.code, entry).toBe('MSG_ERR_PLUGIN_OPTIONS');
    }
  });
});
