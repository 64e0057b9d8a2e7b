import { decodeGsm7, encodeGsm7 } from '@msg/core';
import { describe, expect, it } from 'vitest';
import { type DeliveryReceipt, reconcileReceipts } from '../src/index.js';
import { openSession, rejectionOf, startSimulator, waitFor } from './helpers.js';

describe('bind', () => {
  it('binds as transceiver with interface_version 0x34, system type and address range', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator, { systemType: 'VMA', addressRange: '^2609' });
    const bound: string[] = [];
    session.on('bound', (event) => bound.push(`${event.bindType}:${event.smscSystemId}`));
    await session.connect();
    expect(session.state).toBe('bound');
    expect(bound).toEqual(['transceiver:msg-smsc-simulator']);
    expect(simulator.binds).toEqual([
      expect.objectContaining({
        bindType: 'transceiver',
        systemId: 'esme',
        systemType: 'VMA',
        interfaceVersion: 0x34,
        addressRange: '^2609',
        credential: 'esme',
      }),
    ]);
  });

  it('binds a transmitter and a receiver, and receipts arrive on the receiver', async () => {
    const simulator = await startSimulator({ receiptDelayMs: 10 });
    const session = openSession(simulator, { bindMode: 'transmitter-receiver' });
    const receipts: DeliveryReceipt[] = [];
    session.onReceipt((receipt) => receipts.push(receipt));
    await session.connect();
    expect(simulator.binds.map((bind) => bind.bindType).sort()).toEqual(['receiver', 'transmitter']);
    const { messageIds } = await session.submit({ to: '+260971000001', from: 'MSG', text: 'hi' });
    await waitFor(() => receipts.length === 1);
    expect(receipts[0]).toMatchObject({ messageId: messageIds[0], status: 'delivered', matched: true });
  });

  it('refuses a bad password as a configuration error and stays idle', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator, { password: 'wrong' });
    const error = await rejectionOf(session.connect());
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '0x0000000E', provider: 'smpp-test' });
    expect(error.message).toContain('ESME_RINVPASWD');
    expect(error.message).not.toContain('wrong');
    expect(session.state).toBe('idle');
    expect(simulator.binds[0]?.credential).toBeUndefined();
  });

  it('reports a forced ESME_RBINDFAIL and an unknown system id as configuration, also to a submit', async () => {
    const simulator = await startSimulator();
    simulator.setFaults({ bindStatus: 0x0d });
    const session = openSession(simulator);
    const submitError = await rejectionOf(session.submit({ to: '260971000001', from: 'MSG', text: 'x' }));
    expect(submitError).toMatchObject({ kind: 'configuration', providerCode: '0x0000000D' });
    simulator.setFaults({});
    const stranger = openSession(simulator, { systemId: 'nobody' });
    expect(await rejectionOf(stranger.connect())).toMatchObject({
      kind: 'configuration',
      providerCode: '0x0000000F',
    });
    expect(simulator.submits).toHaveLength(0);
  });

  it('reports a refused connection as transient', async () => {
    const simulator = await startSimulator();
    const port = simulator.port;
    await simulator.stop();
    const session = openSession(simulator, { port });
    expect(await rejectionOf(session.connect())).toMatchObject({
      kind: 'transient',
      providerCode: 'ECONNREFUSED',
    });
  });
});

describe('submit', () => {
  it('sends GSM-7 text as unpacked septets with data_coding 0 and international addressing', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator);
    const result = await session.submit({
      to: '+260971234567',
      from: '+260950000000',
      text: 'Pay K50 {ref}',
    });
    expect(result).toMatchObject({ segments: 1, encoding: 'GSM-7' });
    const submit = simulator.submits[0]!;
    expect(submit.dataCoding).toBe(0);
    expect(submit.esmClass).toBe(0);
    expect(submit.shortMessage.equals(Buffer.from(encodeGsm7('Pay K50 {ref}')))).toBe(true);
    expect([...submit.shortMessage.subarray(-7)]).toEqual([0x1b, 0x28, 0x72, 0x65, 0x66, 0x1b, 0x29]);
    expect(submit).toMatchObject({
      destinationAddr: '260971234567',
      destAddrTon: 1,
      destAddrNpi: 1,
      sourceAddr: '260950000000',
      sourceAddrTon: 1,
      registeredDelivery: 1,
    });
    expect(result.messageIds).toEqual([submit.messageId]);
  });

  it('sends UCS-2 big-endian with data_coding 8 and an alphanumeric sender as TON 5', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator);
    await session.submit({
      to: '260971234567',
      from: 'Zamtel',
      text: 'Привет 👋',
      registeredDelivery: false,
    });
    const submit = simulator.submits[0]!;
    expect(submit.dataCoding).toBe(8);
    expect(submit.shortMessage.equals(Buffer.from('Привет 👋', 'utf16le').swap16())).toBe(true);
    expect(submit.shortMessage.subarray(0, 2).equals(Buffer.from([0x04, 0x1f]))).toBe(true);
    expect(submit).toMatchObject({
      sourceAddrTon: 5,
      sourceAddrNpi: 0,
      registeredDelivery: 0,
      text: 'Привет 👋',
    });
  });

  it('sends 400 GSM characters as three referenced parts and reconciles one receipt per part', async () => {
    const simulator = await startSimulator({
      messageIdFormat: 'hex',
      receiptIdFormat: 'decimal',
      receiptMode: 'text',
    });
    const session = openSession(simulator);
    const receipts: DeliveryReceipt[] = [];
    session.onReceipt((receipt) => receipts.push(receipt));
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(9).slice(0, 400);
    const result = await session.submit({ to: '260971234567', from: 'MSG', text });
    expect(result.segments).toBe(3);
    expect(result.messageIds).toHaveLength(3);
    const parts = simulator.submits;
    expect(parts).toHaveLength(3);
    const reference = parts[0]?.concatenation?.reference;
    parts.forEach((part, index) => {
      expect(part.esmClass & 0x40).toBe(0x40);
      expect(part.dataCoding).toBe(0);
      expect(part.concatenation).toEqual({ reference, total: 3, sequence: index + 1, referenceBits: 8 });
      expect([...(part.udh ?? [])]).toEqual([0x05, 0x00, 0x03, reference, 3, index + 1]);
    });
    expect(parts.map((part) => part.text).join('')).toBe(text);
    expect(decodeGsm7(parts[0]!.shortMessage.subarray(6))).toBe(text.slice(0, 153));

    await waitFor(() => receipts.length === 3);
    // The receipts carry decimal ids; they are matched back to the hex submit ids.
    for (const receipt of receipts) {
      expect(receipt.matched).toBe(true);
      expect(receipt.receiptMessageId).toBe(String(Number.parseInt(receipt.messageId, 16)));
    }
    const reconciled = reconcileReceipts(result.messageIds, receipts);
    expect(reconciled).toMatchObject({ status: 'delivered', final: true });

    // A second long message to the same number gets the next reference.
    simulator.submits.length = 0;
    await session.submit({ to: '260971234567', from: 'MSG', text });
    expect(simulator.submits[0]?.concatenation?.reference).toBe(((reference ?? 0) + 1) % 256);
  });

  it('reports a failed part as the message status', async () => {
    const simulator = await startSimulator({
      outcomes: { '260971000009': { stat: 'UNDELIV', networkError: [3, 34] } },
    });
    const session = openSession(simulator);
    const receipts: DeliveryReceipt[] = [];
    session.onReceipt((receipt) => receipts.push(receipt));
    const result = await session.submit({ to: '260971000009', from: 'MSG', text: 'y'.repeat(200) });
    await waitFor(() => receipts.length === 2);
    expect(receipts[0]).toMatchObject({
      status: 'undelivered',
      providerStatus: 'UNDELIV',
      networkErrorCode: { networkType: 3, code: 34 },
    });
    expect(reconcileReceipts(result.messageIds, receipts)).toMatchObject({
      status: 'undelivered',
      final: true,
    });
  });

  it('carries long messages in sar_* TLVs or one message_payload when configured', async () => {
    const simulator = await startSimulator();
    const sar = openSession(simulator, { concatenation: 'sar' });
    await sar.submit({ to: '260971234567', from: 'MSG', text: 'ю'.repeat(100) });
    expect(simulator.submits.map((submit) => submit.sar?.sequence)).toEqual([1, 2]);
    expect(simulator.submits.every((submit) => submit.udh === undefined && submit.dataCoding === 8)).toBe(
      true,
    );
    simulator.submits.length = 0;
    const payload = openSession(simulator, { concatenation: 'payload' });
    const result = await payload.submit({ to: '260971234567', from: 'MSG', text: 'p'.repeat(300) });
    expect(result).toMatchObject({ segments: 2 });
    expect(result.messageIds).toHaveLength(1);
    expect(simulator.submits[0]?.messagePayload?.length).toBe(300);
    expect(simulator.submits[0]?.text).toBe('p'.repeat(300));
  });

  it.each([
    [0x0b, 'permanent'],
    [0x0a, 'configuration'],
    [0x65, 'permanent'],
    [0x66, 'permanent'],
    [0x01, 'permanent'],
    [0x08, 'transient'],
    [0x64, 'transient'],
  ])('maps a submit_sm_resp with command_status %i to %s', async (status, kind) => {
    const simulator = await startSimulator();
    simulator.setFaults({ submitStatusFor: { '260970000000': status } });
    const session = openSession(simulator);
    const error = await rejectionOf(session.submit({ to: '260970000000', from: 'MSG', text: 'x' }));
    expect(error.kind).toBe(kind);
    expect(error.providerCode).toBe(`0x${status.toString(16).toUpperCase().padStart(8, '0')}`);
  });

  it('fails a submit with no response as ambiguous after the response timeout, and ignores the late answer', async () => {
    const simulator = await startSimulator({ responseDelayMs: 300 });
    const session = openSession(simulator, { responseTimeoutMs: 100 });
    await session.connect();
    const started = Date.now();
    const error = await rejectionOf(session.submit({ to: '260971000001', from: 'MSG', text: 'slow' }));
    expect(error).toMatchObject({ kind: 'ambiguous', providerCode: 'RESPONSE_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(session.inFlightCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The late submit_sm_resp arrived and was dropped; the session still works.
    expect(session.state).toBe('bound');
    simulator.setFaults({});
    const late = openSession(simulator);
    await expect(late.submit({ to: '260971000001', from: 'MSG', text: 'ok' })).resolves.toBeDefined();
  });

  it('swallowed submits time out, and no caller waits forever', async () => {
    const simulator = await startSimulator();
    simulator.setFaults({ swallowSubmits: true });
    const session = openSession(simulator, { responseTimeoutMs: 100, windowSize: 2 });
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((index) => session.submit({ to: `26097100000${index}`, from: 'MSG', text: 'x' })),
    );
    expect(
      results.map((result) => result.status === 'rejected' && (result.reason as { kind: string }).kind),
    ).toEqual(['ambiguous', 'ambiguous', 'ambiguous', 'ambiguous']);
  });

  it('rejects at once, sending nothing, when the signal is already aborted', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator);
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    const error = await rejectionOf(
      session.submit({ to: '260971000001', from: 'MSG', text: 'x' }, controller),
    );
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'MSG_ABORTED' });
    expect(simulator.submits).toHaveLength(0);
  });

  it('an abort while waiting for the window rejects at once and sends nothing', async () => {
    const simulator = await startSimulator({ responseDelayMs: 400 });
    const session = openSession(simulator, { windowSize: 1 });
    await session.connect();
    const first = session.submit({ to: '260971000001', from: 'MSG', text: 'first' });
    const controller = new AbortController();
    const second = rejectionOf(
      session.submit({ to: '260971000002', from: 'MSG', text: 'second' }, controller),
    );
    await waitFor(() => simulator.submits.length === 1);
    expect(session.queuedCount).toBe(1);
    const started = Date.now();
    controller.abort(new Error('deadline'));
    const error = await second;
    expect(Date.now() - started).toBeLessThan(200);
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'MSG_ABORTED' });
    await first;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(simulator.submits.map((submit) => submit.text)).toEqual(['first']);
  });

  it('an abort of a sent submit rejects as ambiguous within the deadline', async () => {
    const simulator = await startSimulator();
    simulator.setFaults({ swallowSubmits: 1 });
    const session = openSession(simulator);
    const controller = new AbortController();
    const pending = rejectionOf(session.submit({ to: '260971000001', from: 'MSG', text: 'x' }, controller));
    await waitFor(() => simulator.submits.length === 1);
    controller.abort(new Error('deadline'));
    expect(await pending).toMatchObject({ kind: 'ambiguous', providerCode: 'MSG_ABORTED' });
  });

  it('waits a bounded time for the window, then fails transient without sending', async () => {
    const simulator = await startSimulator();
    simulator.setFaults({ swallowSubmits: 1 });
    const session = openSession(simulator, { windowSize: 1, queueTimeoutMs: 100, responseTimeoutMs: 1000 });
    const first = rejectionOf(session.submit({ to: '260971000001', from: 'MSG', text: 'one' }));
    const second = await rejectionOf(session.submit({ to: '260971000002', from: 'MSG', text: 'two' }));
    expect(second).toMatchObject({ kind: 'transient', providerCode: 'QUEUE_TIMEOUT' });
    expect((await first).kind).toBe('ambiguous');
    expect(simulator.submits.map((submit) => submit.text)).toEqual(['one']);
  });
});
