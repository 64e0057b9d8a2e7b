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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import vonagePlugin, {
  VONAGE_DLR_ERROR_CODES,
  VONAGE_STATUS_MAP,
  type VonagePluginOptions,
} from '../src/index.js';
import { createVonageSimulator, type VonageSimulator } from '../src/simulator.js';
import {
  ACME,
  GLOBEX,
  jsonReceipt,
  NOW,
  optionsFor,
  receiptFields,
  sign,
  signedReceipt,
  startSimulator,
  WEBHOOK_URL,
} from './helpers.js';

const providers: Provider[] = [];
let simulator: VonageSimulator;
const signal = () => new AbortController().signal;

async function make(
  options: Partial<VonagePluginOptions> = {},
  now: () => number = () => NOW,
): Promise<Provider<'sms'>> {
  const provider = await createProvider(
    vonagePlugin,
    { ...optionsFor(ACME, simulator), callbackUrl: false, ...options },
    { instanceId: 'vonage-webhook', logger: silentLogger, now, webhookUrl: WEBHOOK_URL },
  );
  providers.push(provider);
  return provider as Provider<'sms'>;
}

async function refusal(provider: Provider, request: WebhookRequest): Promise<WebhookVerificationError> {
  return rejectionOf(provider.parseWebhook!(request), WebhookVerificationError);
}

async function eventsOf(provider: Provider, request: WebhookRequest): Promise<DeliveryEvent[]> {
  return (await provider.parseWebhook!(request)).events;
}

beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('receipts from the simulator', () => {
  it.each(['json', 'form', 'get'] as const)(
    'arrive signed (%s), verify, and name our message and the recipient',
    async (receiptEncoding) => {
      const receiver = await webhookReceiver();
      const sending = createVonageSimulator({
        accounts: {
          [ACME.apiKey]: {
            apiSecret: ACME.apiSecret,
            signatureSecret: ACME.signatureSecret,
            signatureMethod: 'sha512',
            receiptEncoding,
            callbackUrl: `${receiver.url}/webhooks/vonage`,
          },
        },
        callbackDelayMs: 5,
      });
      await sending.start();
      try {
        const provider = await make({ restHost: sending.url, signatureMethod: 'sha512' }, Date.now);
        sending.outcomes.set('447700900001', 'failed:7');
        const result = await provider.send(
          { id: 'msg_receipt', channel: 'sms', to: '+447700900001', text: 'Hello' },
          { signal: signal() },
        );
        const [received] = await receiver.waitFor(1);
        expect(received?.method).toBe(receiptEncoding === 'get' ? 'GET' : 'POST');
        const events = await eventsOf(provider, received as WebhookRequest);
        expect(events).toEqual([
          expect.objectContaining({
            providerMessageId: result.providerMessageId,
            messageId: 'msg_receipt',
            status: 'undelivered',
            providerStatus: 'failed',
            recipient: '447700900001',
            error: { code: '7', message: 'Handset Busy' },
            details: expect.objectContaining({ errorKind: 'transient', networkCode: '23410' }),
          }),
        ]);
      } finally {
        await sending.stop();
        await receiver.close();
      }
    },
  );
});

describe('signature verification', () => {
  it('accepts a receipt signed within five minutes of our clock, either way', async () => {
    const provider = await make();
    for (const offset of [-299, 0, 299]) {
      await expect(
        eventsOf(provider, signedReceipt({}, NOW / 1000 + offset)),
        `offset ${offset}`,
      ).resolves.toHaveLength(1);
    }
  });

  it('refuses a stale or future-dated receipt by the injected clock, even with a valid sig', async () => {
    const provider = await make();
    for (const offset of [-301, 301, -86_400]) {
      const error = await refusal(provider, signedReceipt({}, NOW / 1000 + offset));
      expect(error.message).toContain('timestamp');
    }
    // The same receipt passes once the clock is near its timestamp.
    const later = await make({}, () => NOW + 3_600_000);
    await expect(eventsOf(later, signedReceipt({}, NOW / 1000 + 3600))).resolves.toHaveLength(1);
  });

  it('refuses a signed receipt without a timestamp', async () => {
    const provider = await make();
    const fields = sign(receiptFields(), ACME.signatureSecret, 'sha256');
    const { timestamp: _timestamp, ...rest } = fields;
    await refusal(provider, jsonReceipt(rest));
  });

  it('refuses an unsigned, a tampered, another account and another method', async () => {
    const provider = await make();
    await refusal(provider, jsonReceipt(receiptFields()));
    const good = sign(receiptFields(), ACME.signatureSecret, 'sha256');
    await refusal(provider, jsonReceipt({ ...good, status: 'failed' }));
    await refusal(provider, jsonReceipt({ ...good, 'client-ref': 'msg_other' }));
    await refusal(provider, jsonReceipt(sign(receiptFields(), GLOBEX.signatureSecret, 'sha256')));
    await refusal(provider, jsonReceipt(sign(receiptFields(), ACME.signatureSecret, 'sha1')));
  });

  it('verifies every method it is configured with', async () => {
    for (const method of ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const) {
      const provider = await make({ signatureMethod: method });
      await expect(
        eventsOf(provider, jsonReceipt(sign(receiptFields(), ACME.signatureSecret, method))),
        method,
      ).resolves.toHaveLength(1);
    }
  });

  it('refuses a receipt for another API key', async () => {
    const provider = await make();
    const error = await refusal(provider, signedReceipt({ 'api-key': GLOBEX.apiKey }));
    expect(error.message).toContain('another API key');
  });
});

describe('without signatures', () => {
  const token = 'acme-webhook-token-0123456789';

  it('needs the token in the URL, and the address in allowedIps when set', async () => {
    const provider = await make({
      signatureSecret: undefined,
      webhookToken: token,
      allowedIps: ['127.0.0.0/8'],
    });
    const fields = receiptFields();
    await expect(
      eventsOf(provider, jsonReceipt(fields, `${WEBHOOK_URL}?token=${token}`)),
    ).resolves.toHaveLength(1);
    await refusal(provider, jsonReceipt(fields));
    await refusal(provider, jsonReceipt(fields, `${WEBHOOK_URL}?token=wrong-${token}`));
    await refusal(provider, {
      ...jsonReceipt(fields, `${WEBHOOK_URL}?token=${token}`),
      remoteAddress: '10.0.0.1',
    });
  });

  it('leaves the token out of the signed string of a signed GET receipt', async () => {
    const provider = await make({ webhookToken: token });
    const url = new URL(`${WEBHOOK_URL}?token=${token}`);
    for (const [name, value] of Object.entries(sign(receiptFields(), ACME.signatureSecret, 'sha256'))) {
      url.searchParams.set(name, value);
    }
    const request: WebhookRequest = {
      method: 'GET',
      url: url.toString(),
      headers: {},
      rawBody: new Uint8Array(),
    };
    await expect(eventsOf(provider, request)).resolves.toHaveLength(1);
  });

  it('refuses every receipt when neither a signature secret nor a token is configured', async () => {
    const provider = await make({ signatureSecret: undefined });
    const error = await refusal(provider, signedReceipt());
    expect(error.message).toContain('neither signatureSecret nor webhookToken');
  });
});

describe('status mapping', () => {
  it('maps every receipt status', async () => {
    const provider = await make();
    const expected = {
      accepted: 'sent',
      buffered: 'sent',
      delivered: 'delivered',
      expired: 'expired',
      failed: 'undelivered',
      rejected: 'failed',
      unknown: 'unknown',
      deleted: 'failed',
    };
    expect(VONAGE_STATUS_MAP).toEqual(expected);
    for (const [status, normalised] of Object.entries(expected)) {
      const [event] = await eventsOf(provider, signedReceipt({ status, messageId: `id-${status}` }));
      expect(event?.status, status).toBe(normalised);
    }
  });

  it('keeps every documented err-code with its name and, where it has one, its kind', async () => {
    const provider = await make();
    for (const [code, entry] of Object.entries(VONAGE_DLR_ERROR_CODES)) {
      const [event] = await eventsOf(provider, signedReceipt({ status: 'failed', 'err-code': code }));
      if (code === '0') {
        expect(event?.error).toBeUndefined();
        continue;
      }
      expect(event?.error, code).toEqual({ code, message: entry.name });
      expect(event?.details?.errorKind, code).toBe(entry.kind);
    }
  });

  it('takes occurredAt from scts, the price as cost and an event id stable across retries', async () => {
    const provider = await make({ currency: 'GBP' });
    const [event] = await eventsOf(provider, signedReceipt({ scts: '2602281530' }));
    expect(event).toMatchObject({
      occurredAt: new Date('2026-02-28T15:30:00Z'),
      cost: { amount: '0.03330000', currency: 'GBP' },
      eventId: '0A0000000123ABCD:delivered:0',
    });
  });

  it('refuses a verified receipt without messageId as invalid input, and returns nothing for an inbound message', async () => {
    const provider = await make();
    const { messageId: _id, ...withoutId } = receiptFields();
    const error = await rejectionOf(
      provider.parseWebhook!(jsonReceipt(sign(withoutId, ACME.signatureSecret, 'sha256'))),
      ValidationError,
    );
    expect(error.message).toContain('messageId');
    const inbound = sign(
      {
        msisdn: '447700900001',
        to: '447700900000',
        messageId: 'IN1',
        text: 'hi',
        type: 'text',
        keyword: 'HI',
      },
      ACME.signatureSecret,
      'sha256',
    );
    await expect(eventsOf(provider, jsonReceipt(inbound))).resolves.toEqual([]);
  });
});

describe('multi-part messages', () => {
  /** Sends a three-part text (no receipts from the simulator) and returns its part ids. */
  async function sendThreeParts(provider: Provider<'sms'>, id = 'msg_long'): Promise<string[]> {
    simulator.outcomes.set('447700900001', 'none');
    const result = await provider.send(
      { id, channel: 'sms', to: '+447700900001', text: 'z'.repeat(400) },
      { signal: signal() },
    );
    return (result.details?.partMessageIds ?? '').split(',');
  }

  const part = (messageId: string, status: string, extra: Record<string, string> = {}) =>
    signedReceipt({ messageId, status, 'client-ref': 'msg_long', ...extra });

  it('is delivered only once every part is, under the first part id', async () => {
    const provider = await make();
    const [first, second, third] = await sendThreeParts(provider);
    const events = [
      ...(await eventsOf(provider, part(third as string, 'delivered'))),
      ...(await eventsOf(provider, part(first as string, 'delivered'))),
      ...(await eventsOf(provider, part(second as string, 'delivered'))),
    ];
    expect(events.map((event) => [event.providerMessageId, event.status])).toEqual([
      [first, 'sent'],
      [first, 'delivered'],
    ]);
    expect(events[1]).toMatchObject({ messageId: 'msg_long', details: { parts: '3', decidingPart: second } });
  });

  it('fails at once with the first part that fails, and later parts change nothing', async () => {
    const provider = await make();
    const [first, second, third] = await sendThreeParts(provider);
    expect(await eventsOf(provider, part(first as string, 'delivered'))).toMatchObject([{ status: 'sent' }]);
    expect(await eventsOf(provider, part(second as string, 'failed', { 'err-code': '3' }))).toMatchObject([
      { providerMessageId: first, status: 'undelivered', error: { code: '3' }, messageId: 'msg_long' },
    ]);
    expect(await eventsOf(provider, part(third as string, 'delivered'))).toEqual([]);
    expect(await eventsOf(provider, part(second as string, 'delivered'))).toEqual([]);
  });

  it('is unknown when every part reported and one is unknown, and delivered when that part later is', async () => {
    const provider = await make();
    const [first, second, third] = await sendThreeParts(provider);
    await eventsOf(provider, part(first as string, 'delivered'));
    await eventsOf(provider, part(second as string, 'unknown'));
    expect(await eventsOf(provider, part(third as string, 'delivered'))).toMatchObject([
      { status: 'unknown' },
    ]);
    expect(await eventsOf(provider, part(second as string, 'delivered'))).toMatchObject([
      { providerMessageId: first, status: 'delivered' },
    ]);
  });

  it('reports each part on its own when the parts are not known (sent before a restart)', async () => {
    const sender = await make();
    const [, second] = await sendThreeParts(sender);
    const restarted = await make();
    expect(await eventsOf(restarted, part(second as string, 'delivered'))).toMatchObject([
      { providerMessageId: second, messageId: 'msg_long', status: 'delivered' },
    ]);
  });

  it('forgets the oldest message past maxTrackedMessages and messages past the receipt window', async () => {
    let now = NOW;
    const provider = await make({ maxTrackedMessages: 1, ttl: 60_000 }, () => now);
    const [oldFirst] = await sendThreeParts(provider, 'msg_old');
    const [newFirst] = await sendThreeParts(provider, 'msg_new');
    expect(await eventsOf(provider, part(oldFirst as string, 'delivered'))).toMatchObject([
      { providerMessageId: oldFirst, status: 'delivered' },
    ]);
    expect(await eventsOf(provider, part(newFirst as string, 'delivered'))).toMatchObject([
      { providerMessageId: newFirst, status: 'sent' },
    ]);
    now += 60_000 + 3_600_001;
    const stale = signedReceipt({ messageId: newFirst as string, status: 'failed' }, now / 1000);
    expect(await eventsOf(provider, stale)).toMatchObject([
      { providerMessageId: newFirst, status: 'undelivered' },
    ]);
  });
});

describe('getStatus (Reports API)', () => {
  it('looks the message up by id and reports its status', async () => {
    const sending = await startSimulator();
    sending.callbackDelayMs = 0;
    try {
      const provider = await make({ restHost: sending.url, apiHost: sending.url }, Date.now);
      sending.outcomes.set('447700900001', 'failed:9');
      const sent = await provider.send(
        { id: 'msg_lookup', channel: 'sms', to: '+447700900001', text: 'Hello' },
        { signal: signal() },
      );
      const events = await provider.getStatus!(
        { providerMessageId: sent.providerMessageId, messageId: 'msg_lookup', sentAt: new Date() },
        { signal: signal() },
      );
      expect(events).toEqual([
        expect.objectContaining({
          providerMessageId: sent.providerMessageId,
          messageId: 'msg_lookup',
          status: 'undelivered',
          providerStatus: 'failed',
          error: { code: '9', message: 'Illegal Number' },
          cost: { amount: '0.0333', currency: 'EUR' },
        }),
      ]);
      const request = sending.requests.at(-1);
      expect(request?.path).toBe('/v2/reports/records');
      expect(Object.fromEntries(new URL(request?.url as string).searchParams)).toEqual({
        account_id: ACME.apiKey,
        product: 'SMS',
        direction: 'outbound',
        id: sent.providerMessageId,
      });
    } finally {
      await sending.stop();
    }
  });

  it('asks for every part of a multi-part message and reconciles them', async () => {
    const sending = await startSimulator();
    sending.callbackDelayMs = 0;
    try {
      const provider = await make({ restHost: sending.url, apiHost: sending.url }, Date.now);
      sending.outcomes.set('447700900001', 'parts:delivered,expired,delivered');
      const sent = await provider.send(
        { id: 'msg_parts', channel: 'sms', to: '+447700900001', text: 'q'.repeat(400) },
        { signal: signal() },
      );
      const events = await provider.getStatus!(
        { providerMessageId: sent.providerMessageId, messageId: 'msg_parts', sentAt: new Date() },
        { signal: signal() },
      );
      expect(events).toMatchObject([{ providerMessageId: sent.providerMessageId, status: 'expired' }]);
      expect(new URL(sending.requests.at(-1)?.url as string).searchParams.get('id')).toBe(
        sent.details?.partMessageIds,
      );
    } finally {
      await sending.stop();
    }
  });

  it('says sent before the final status, nothing for an unknown id, and configuration without Reports access', async () => {
    const sending = await startSimulator();
    sending.callbackDelayMs = 60_000;
    try {
      const provider = await make({ restHost: sending.url, apiHost: sending.url }, Date.now);
      const sent = await provider.send(
        { id: 'msg_wait', channel: 'sms', to: '+447700900001', text: 'Hello' },
        { signal: signal() },
      );
      const query = { providerMessageId: sent.providerMessageId, messageId: 'msg_wait', sentAt: new Date() };
      expect(await provider.getStatus!(query, { signal: signal() })).toMatchObject([
        { status: 'sent', providerStatus: 'accepted' },
      ]);
      expect(
        await provider.getStatus!({ ...query, providerMessageId: 'FFFFFFFFFFFFFFFF' }, { signal: signal() }),
      ).toEqual([]);
      (sending.accounts.get(ACME.apiKey) as { reports?: boolean }).reports = false;
      expect(await rejectionOf(provider.getStatus!(query, { signal: signal() }))).toMatchObject({
        kind: 'configuration',
        httpStatus: 403,
      });
    } finally {
      await sending.stop();
    }
  });
});
