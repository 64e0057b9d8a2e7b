import type { DeliveryEvent, Logger, SmsMessage } from '@msg/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmppProvider, type SmppProvider, type SmppProviderOptions } from '../src/index.js';
import type { SmscSimulator } from '../src/simulator.js';
import { rejectionOf, startSimulator, waitFor } from './helpers.js';

const providers: SmppProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((provider) => provider.close()));
});

type TestOptions = Partial<Omit<SmppProviderOptions, 'session'>> & {
  session?: Partial<SmppProviderOptions['session']>;
};

function makeProvider(smsc: SmscSimulator, options: TestOptions = {}): SmppProvider {
  const provider = createSmppProvider({
    id: 'smpp-main',
    plugin: '@msg/plugin-example',
    defaultSender: 'ZEDBANK',
    ...options,
    session: {
      host: smsc.host,
      port: smsc.port,
      systemId: 'esme',
      password: 'secret',
      responseTimeoutMs: 2000,
      connectTimeoutMs: 2000,
      closeTimeoutMs: 500,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      ...options.session,
    },
  });
  providers.push(provider);
  return provider;
}

let counter = 0;
function sms(text = 'Your code is 123456', extra: Partial<SmsMessage> = {}): SmsMessage {
  return { id: `msg-${++counter}`, channel: 'sms', to: '+260971234567', text, ...extra };
}
const signal = () => new AbortController().signal;

function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

describe('createSmppProvider', () => {
  it('describes itself and returns the first part id, every part id and the encoding', async () => {
    const smsc = await startSimulator();
    const provider = makeProvider(smsc);
    expect(provider).toMatchObject({
      id: 'smpp-main',
      plugin: '@msg/plugin-example',
      channel: 'sms',
      specificationVersion: 'v1',
      capabilities: { maxBatchSize: 1, unicode: true, deliveryReceipts: true },
    });
    const result = await provider.send(sms('A'.repeat(200)), { signal: signal() });
    const ids = smsc.submits.map((submit) => submit.messageId);
    expect(result).toEqual({
      providerMessageId: ids[0],
      status: 'sent',
      segments: 2,
      details: { messageIds: ids.join(','), segments: '2', encoding: 'GSM-7' },
    });
    expect(smsc.submits[0]).toMatchObject({ sourceAddr: 'ZEDBANK', destinationAddr: '260971234567' });
  });

  it('refuses a message without a sender as configuration, before binding', async () => {
    const smsc = await startSimulator();
    const provider = makeProvider(smsc, { defaultSender: undefined });
    const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
    expect(error).toMatchObject({
      kind: 'configuration',
      providerCode: 'MISSING_SENDER',
      provider: 'smpp-main',
    });
    expect(smsc.binds).toHaveLength(0);
  });

  it('reports a concatenated message once per forward status, receipts held until the send returns', async () => {
    // Receipts right behind each submit_sm_resp, one part in flight at a time: part one's receipt
    // arrives before part three is even submitted.
    const smsc = await startSimulator({
      receiptDelayMs: 0,
      messageIdFormat: 'hex',
      receiptIdFormat: 'decimal',
    });
    const provider = makeProvider(smsc, { session: { windowSize: 1 } });
    const events: DeliveryEvent[] = [];
    provider.onDeliveryEvent((event) => events.push(event));
    const message = sms('B'.repeat(400));
    const result = await provider.send(message, { signal: signal() });
    await waitFor(() => events.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      providerMessageId: result.providerMessageId,
      messageId: message.id,
      status: 'delivered',
      eventId: `${result.providerMessageId}:delivered`,
      recipient: '+260971234567',
      details: { parts: '3', partStatuses: 'delivered,delivered,delivered' },
    });
  });

  it('keeps delivering to other listeners when one throws, and logs the failure', async () => {
    const smsc = await startSimulator();
    const lines: string[] = [];
    const provider = makeProvider(smsc, { logger: recordingLogger(lines) });
    const events: DeliveryEvent[] = [];
    provider.onDeliveryEvent(() => {
      throw new Error('listener broke');
    });
    const unsubscribe = provider.onDeliveryEvent((event) => events.push(event));
    await provider.send(sms(), { signal: signal() });
    await waitFor(() => events.length === 1);
    expect(lines).toContain('error delivery event listener failed');
    unsubscribe();
    await provider.send(sms(), { signal: signal() });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(events).toHaveLength(1);
  });

  it('asks for no receipts and reports none when registeredDelivery is 0', async () => {
    const smsc = await startSimulator();
    const provider = makeProvider(smsc, { session: { registeredDelivery: 0 } });
    expect(provider.capabilities.deliveryReceipts).toBe(false);
    await provider.send(sms(), { signal: signal() });
    expect(smsc.submits[0]?.registeredDelivery).toBe(0);
  });

  it('binds at create when eager, on the first send or health probe when lazy', async () => {
    const smsc = await startSimulator();
    makeProvider(smsc, { bind: 'eager' });
    await waitFor(() => smsc.binds.length === 1);
    const lazy = makeProvider(smsc);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(smsc.binds).toHaveLength(1);
    await expect(lazy.health({ signal: signal() })).resolves.toEqual({ ok: true, detail: 'bound' });
    expect(smsc.binds).toHaveLength(2);
  });

  it('reports a refused bind in health with the SMPP status name', async () => {
    const smsc = await startSimulator();
    const provider = makeProvider(smsc, {
      session: { password: 'wrong', reconnect: false },
    });
    const health = await provider.health({ signal: signal() });
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('ESME_RINVPASWD');
    expect(health.detail).not.toContain('wrong');
  });

  it('unbinds once however often it is closed, and then refuses sends as transient', async () => {
    const smsc = await startSimulator();
    const provider = makeProvider(smsc);
    await provider.send(sms(), { signal: signal() });
    await Promise.all([provider.close(), provider.close()]);
    await provider.close();
    expect(smsc.unbinds).toBe(1);
    await expect(provider.health({ signal: signal() })).resolves.toMatchObject({ ok: false });
    const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'SESSION_CLOSED' });
  });
});

describe('validate (local: SMPP has no test mode)', () => {
  it('judges a message without binding or submitting', async () => {
    const smsc = await startSimulator();
    const provider = makeProvider(smsc);
    expect(provider.capabilities.validation).toBe('local');
    await expect(provider.validate!(sms('ж'.repeat(71)), { signal: signal() })).resolves.toEqual({
      method: 'local',
      segments: 2,
    });
    expect(smsc.binds).toHaveLength(0);
    expect(smsc.submits).toHaveLength(0);
  });

  it('refuses as a send does: no sender (configuration), a sender type the bind cannot use', async () => {
    const smsc = await startSimulator();
    const noSender = makeProvider(smsc, { defaultSender: undefined });
    const refused = await rejectionOf(noSender.validate!(sms(), { signal: signal() }));
    expect(refused).toMatchObject({ kind: 'configuration', providerCode: 'MISSING_SENDER' });
    expect(await rejectionOf(noSender.send(sms(), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: 'MISSING_SENDER',
    });
    const numericOnly = makeProvider(smsc, { senderTypes: ['numeric'] });
    expect(await rejectionOf(numericOnly.validate!(sms(), { signal: signal() }))).toMatchObject({
      kind: 'configuration',
      providerCode: 'MSG_SENDER_TYPE',
    });
    expect(smsc.binds).toHaveLength(0);
    expect(smsc.submits).toHaveLength(0);
  });
});
