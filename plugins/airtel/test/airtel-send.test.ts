import type { Logger } from '@msg/core';
import { describe, expect, it } from 'vitest';
import {
  COPPER,
  collectEvents,
  makeProvider,
  optionsFor,
  rejectionOf,
  signal,
  sms,
  startSmsc,
  waitFor,
  ZED_BANK,
} from './helpers.js';

const LONG_GSM_TEXT = 'A'.repeat(400);

describe('concatenated messages and receipts', () => {
  it('sends a 400-character GSM message as three parts and reports one delivered event', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc));
    const events = collectEvents(provider);
    const message = sms(LONG_GSM_TEXT);

    const result = await provider.send(message, { signal: signal() });

    expect(result.segments).toBe(3);
    const ids = result.details?.messageIds?.split(',') ?? [];
    expect(ids).toHaveLength(3);
    expect(result.providerMessageId).toBe(ids[0]);
    expect(result.details).toMatchObject({ segments: '3', encoding: 'GSM-7' });
    expect(smsc.submits.map((submit) => submit.concatenation?.sequence)).toEqual([1, 2, 3]);
    expect(smsc.submits.map((submit) => submit.text).join('')).toBe(LONG_GSM_TEXT);
    expect(new Set(smsc.submits.map((submit) => submit.concatenation?.reference)).size).toBe(1);

    await waitFor(() => events.length > 0);
    // Three receipts (decimal ids for hex submit ids) reconciled: one event, not three.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      providerMessageId: ids[0],
      messageId: message.id,
      status: 'delivered',
      providerStatus: 'DELIVRD',
      recipient: '+260971234567',
      details: { parts: '3', partStatuses: 'delivered,delivered,delivered' },
    });
    expect(events[0]?.occurredAt).toBeInstanceOf(Date);
  });

  it('reports a concatenated message undelivered once, with the receipt error code', async () => {
    const smsc = await startSmsc({ outcomes: { '260971000009': { stat: 'UNDELIV', err: '034' } } });
    const provider = await makeProvider(optionsFor(smsc));
    const events = collectEvents(provider);
    const result = await provider.send(sms(LONG_GSM_TEXT, '+260971000009'), { signal: signal() });
    await waitFor(() => events.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      providerMessageId: result.providerMessageId,
      status: 'undelivered',
      providerStatus: 'UNDELIV',
      error: { code: '034' },
    });
  });

  it('sends Unicode as UCS-2 and reports the encoding', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc));
    const result = await provider.send(sms('Muli shani? ✓ 😀'), { signal: signal() });
    expect(result.details?.encoding).toBe('UCS-2');
    expect(smsc.submits[0]).toMatchObject({ dataCoding: 8, text: 'Muli shani? ✓ 😀' });
  });

  it('uses sourceAddress as the sender unless the message names one, and strips the +', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc));
    await provider.send(sms(), { signal: signal() });
    await provider.send({ ...sms(), from: '+260950000001' }, { signal: signal() });
    expect(smsc.submits.map((submit) => [submit.sourceAddr, submit.sourceAddrTon])).toEqual([
      ['ZEDBANK', 5],
      ['260950000001', 1],
    ]);
    expect(smsc.submits[0]).toMatchObject({ destinationAddr: '260971234567', registeredDelivery: 1 });
  });

  it('asks for no receipts and tracks nothing when registeredDelivery is false', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc, ZED_BANK, { registeredDelivery: false }));
    expect(provider.capabilities.deliveryReceipts).toBe(false);
    const events = collectEvents(provider);
    await provider.send(sms(), { signal: signal() });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(smsc.submits[0]?.registeredDelivery).toBe(0);
    expect(events).toHaveLength(0);
  });

  it('delivers each instance only the receipts of its own bind', async () => {
    const smsc = await startSmsc();
    const first = await makeProvider(optionsFor(smsc, ZED_BANK), 'airtel-a');
    const second = await makeProvider(optionsFor(smsc, COPPER), 'airtel-b');
    const firstEvents = collectEvents(first);
    const secondEvents = collectEvents(second);
    const a = await first.send(sms(), { signal: signal() });
    const b = await second.send(sms(), { signal: signal() });
    await waitFor(() => firstEvents.length === 1 && secondEvents.length === 1);
    expect(firstEvents[0]?.providerMessageId).toBe(a.providerMessageId);
    expect(secondEvents[0]?.providerMessageId).toBe(b.providerMessageId);
    expect(smsc.submits.map((submit) => submit.credential)).toEqual(['zedbank', 'copperbelt']);
  });
});

describe('connection faults', () => {
  it('resolves sends in flight when the connection drops as ambiguous, and rebinds by itself', async () => {
    const smsc = await startSmsc({ responseDelayMs: 50 });
    const provider = await makeProvider(optionsFor(smsc, ZED_BANK, { windowSize: 5 }));
    await provider.health({ signal: signal() });
    smsc.setFaults({ dropAfterSubmits: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, index) =>
        provider.send(sms(`message ${index}`), { signal: AbortSignal.timeout(5000) }),
      ),
    );
    const rejected = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    const accepted = results.filter((result) => result.status === 'fulfilled');
    expect(rejected).toHaveLength(5);
    for (const error of rejected) {
      expect(error).toMatchObject({
        kind: 'ambiguous',
        providerCode: 'CONNECTION_LOST',
        provider: 'airtel-zm',
      });
    }
    expect(accepted).toHaveLength(7);
    expect(smsc.binds.filter((bind) => bind.credential === 'zedbank')).toHaveLength(2);
    await expect(provider.health({ signal: signal() })).resolves.toMatchObject({ ok: true });
  });

  it('reports a submit with no response within responseTimeoutMs as ambiguous', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc, ZED_BANK, { responseTimeoutMs: 100 }));
    smsc.setFaults({ swallowSubmits: 1 });
    const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'ambiguous', providerCode: 'RESPONSE_TIMEOUT' });
  });

  it('slows down under SMSC throttling and sends everything without an error', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc));
    smsc.setFaults({ throttleEveryNth: 3 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        provider.send(sms(`throttled ${index}`), { signal: signal() }),
      ),
    );
    expect(results).toHaveLength(20);
    const throttled = smsc.submits.filter((submit) => submit.commandStatus === 0x58);
    expect(throttled.length).toBeGreaterThan(0);
    expect(smsc.submits.filter((submit) => submit.messageId !== undefined)).toHaveLength(20);
  });

  it('keeps to messagesPerSecond without errors', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc, ZED_BANK, { messagesPerSecond: 20, burst: 1 }));
    await provider.health({ signal: signal() });
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => provider.send(sms(), { signal: signal() })));
    // Ten submits at 20/s with a burst of one: at least nine gaps of 50 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    const times = smsc.submits.map((submit) => submit.receivedAt);
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual(400);
  });
});

describe('bind', () => {
  it('fails a send as configuration when the password is refused, without submitting', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc, { ...ZED_BANK, password: 'wrong' }));
    const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '0x0000000E', provider: 'airtel-zm' });
    expect(error.isRetryable).toBe(false);
    expect(smsc.submits).toHaveLength(0);
    const health = await provider.health({ signal: signal() });
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('ESME_RINVPASWD');
  });

  it('fails a send as configuration when the SMSC refuses the bind (ESME_RBINDFAIL)', async () => {
    const smsc = await startSmsc();
    smsc.setFaults({ bindStatus: 0x0d });
    const provider = await makeProvider(optionsFor(smsc, ZED_BANK, { bind: 'lazy' }));
    const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '0x0000000D' });
  });

  it('binds eagerly at create by default, and only on the first send when lazy', async () => {
    const smsc = await startSmsc();
    await makeProvider(optionsFor(smsc), 'airtel-eager');
    await waitFor(() => smsc.binds.length === 1);
    const lazy = await makeProvider(optionsFor(smsc, COPPER, { bind: 'lazy' }), 'airtel-lazy');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(smsc.binds.map((bind) => bind.systemId)).toEqual(['zedbank']);
    await lazy.send(sms(), { signal: signal() });
    expect(smsc.binds.map((bind) => bind.systemId)).toEqual(['zedbank', 'copperbelt']);
    expect(smsc.binds[1]).toMatchObject({ bindType: 'transceiver', interfaceVersion: 0x34 });
  });

  it('binds a transmitter and a receiver in transmitter-receiver mode and still gets receipts', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc, ZED_BANK, { bindMode: 'transmitter-receiver' }));
    const events = collectEvents(provider);
    const result = await provider.send(sms(), { signal: signal() });
    await waitFor(() => events.length === 1);
    expect(smsc.binds.map((bind) => bind.bindType).sort()).toEqual(['receiver', 'transmitter']);
    expect(events[0]).toMatchObject({ providerMessageId: result.providerMessageId, status: 'delivered' });
  });

  it('reports the bind state in health and unbinds on close', async () => {
    const smsc = await startSmsc();
    const provider = await makeProvider(optionsFor(smsc, ZED_BANK, { bind: 'lazy' }));
    const health = await provider.health({ signal: signal() });
    expect(health).toMatchObject({ ok: true });
    expect(health.detail).toContain('bound');
    await provider.close();
    expect(smsc.unbinds).toBe(1);
    const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'SESSION_CLOSED' });
  });

  it('never puts the password in errors or logs', async () => {
    const smsc = await startSmsc();
    const lines: string[] = [];
    const record = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const logger: Logger = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    };
    const secret = 'S3cr3t-airtel';
    const provider = await makeProvider(
      optionsFor(smsc, { ...ZED_BANK, password: secret }),
      'airtel-zm',
      logger,
    );
    const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
    await provider.health({ signal: signal() });
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(error.message).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);
  });
});
