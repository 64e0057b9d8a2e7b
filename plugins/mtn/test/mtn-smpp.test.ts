import type { DeliveryEvent } from '@msg/core';
import { createSmscSimulator, type SmscSimulator } from '@msg/smpp/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MtnPluginOptions, MtnProvider } from '../src/index.js';
import { providers, rejection, signal, sms } from './helpers.js';

const harness = providers();
let smsc: SmscSimulator;

beforeAll(async () => {
  smsc = await createSmscSimulator({
    credentials: { 'mtn-esme': 'secret1' },
    messageIdFormat: 'hex',
    receiptIdFormat: 'decimal',
    receiptDelayMs: 10,
    outcomes: { '260961000002': { stat: 'UNDELIV', err: '034', networkError: [3, 34] } },
  });
});
afterAll(async () => {
  await harness.closeAll();
  await smsc.stop();
});

const options = (extra: Partial<NonNullable<MtnPluginOptions['smpp']>> = {}): MtnPluginOptions => ({
  mode: 'smpp',
  from: 'ACME',
  smpp: {
    host: smsc.host,
    port: smsc.port,
    systemId: 'mtn-esme',
    password: 'secret1',
    systemType: 'msg',
    ...extra,
  },
});

/** Collects the provider's delivery events until `count` arrived. */
function events(provider: MtnProvider, count: number): Promise<DeliveryEvent[]> {
  const seen: DeliveryEvent[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`expected ${count} events, got ${seen.length}`)), 3000);
    const stop = provider.onDeliveryEvent!((event) => {
      seen.push(event);
      if (seen.length < count) return;
      clearTimeout(timer);
      stop();
      resolve(seen);
    });
  });
}

describe('SMPP mode', () => {
  it('submits over the bind and reports the receipt as a delivery event with our message id', async () => {
    const provider = await harness.make(options());
    const delivered = events(provider, 1);
    const result = await provider.send(sms('msg-smpp-1'), { signal: signal() });
    const submit = smsc.submits.at(-1);
    expect(smsc.binds.at(-1)).toMatchObject({
      bindType: 'transceiver',
      systemType: 'msg',
      credential: 'mtn-esme',
    });
    expect(submit).toMatchObject({
      destinationAddr: '260961000001',
      sourceAddr: 'ACME',
      registeredDelivery: 1,
    });
    expect(submit?.text).toBe('Your code is 123456');
    expect(result).toMatchObject({
      providerMessageId: submit?.messageId,
      status: 'sent',
      segments: 1,
      details: { partMessageIds: submit?.messageId, encoding: 'GSM-7' },
    });
    const [event] = await delivered;
    expect(event).toMatchObject({
      providerMessageId: result.providerMessageId,
      messageId: 'msg-smpp-1',
      status: 'delivered',
      providerStatus: 'DELIVRD',
      recipient: '+260961000001',
    });
    // The receipt carried the id in decimal; the event uses the id send() returned.
    expect(event?.details?.receiptMessageId).toBe(String(Number.parseInt(result.providerMessageId, 16)));
  });

  it('reports an undelivered receipt with its error', async () => {
    const provider = await harness.make(options());
    const received = events(provider, 1);
    const result = await provider.send(sms('msg-smpp-2', '+260961000002'), { signal: signal() });
    const [event] = await received;
    expect(event).toMatchObject({
      providerMessageId: result.providerMessageId,
      status: 'undelivered',
      error: { code: '034' },
      details: expect.objectContaining({ networkErrorCode: '3:34' }),
    });
  });

  it('keeps every part id of a long message and reports it once delivered, under the first part', async () => {
    const provider = await harness.make(options());
    const received = events(provider, 2);
    const result = await provider.send(sms('msg-smpp-3', '+260961000001', 'x'.repeat(200)), {
      signal: signal(),
    });
    const parts = result.details?.partMessageIds?.split(',') ?? [];
    expect(result.segments).toBe(2);
    expect(parts).toHaveLength(2);
    expect(result.providerMessageId).toBe(parts[0]);
    const seen = await received;
    expect(seen.map((event) => event.status)).toEqual(['sent', 'delivered']);
    expect(
      seen.every((event) => event.providerMessageId === parts[0] && event.messageId === 'msg-smpp-3'),
    ).toBe(true);
    expect(seen[1]?.details).toMatchObject({ parts: '2', partStatuses: 'DELIVRD,DELIVRD' });
  });

  it('fails a send on a refused password as configuration and reports the bind in health()', async () => {
    const provider = await harness.make(options({ password: 'wrong', reconnect: false }));
    const error = await rejection(provider.send(sms('msg-smpp-4'), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '0x0000000E' });
    const good = await harness.make(options());
    await expect(good.health!({ signal: signal() })).resolves.toEqual({ ok: true, detail: 'bound' });
    const bad = await harness.make(options({ password: 'wrong', reconnect: false }));
    await expect(bad.health!({ signal: signal() })).resolves.toMatchObject({ ok: false });
  });

  it('sends no registered_delivery when receipts are turned off', async () => {
    const provider = await harness.make({ ...options(), requestDeliveryReceipt: false });
    await provider.send(sms('msg-smpp-5'), { signal: signal() });
    expect(smsc.submits.at(-1)?.registeredDelivery).toBe(0);
  });
});
