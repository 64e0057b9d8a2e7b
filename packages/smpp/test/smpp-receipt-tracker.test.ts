import type { DeliveryEvent } from '@msg/core';
import { describe, expect, it } from 'vitest';
import { type DeliveryReceipt, ReceiptTracker } from '../src/index.js';

function receipt(
  messageId: string,
  providerStatus: string,
  extra: Partial<DeliveryReceipt> = {},
): DeliveryReceipt {
  const status = ({ DELIVRD: 'delivered', UNDELIV: 'undelivered', ENROUTE: 'sent' } as const)[
    providerStatus as 'DELIVRD'
  ];
  return {
    messageId,
    receiptMessageId: messageId,
    matched: true,
    status,
    providerStatus,
    recipient: '260971234567',
    sender: 'ZEDBANK',
    ...extra,
  };
}

function tracker(holdMs = 30, capacity = 100) {
  const events: DeliveryEvent[] = [];
  const instance = new ReceiptTracker({
    capacity,
    holdMs,
    now: () => 0,
    emit: (event) => events.push(event),
  });
  return { instance, events };
}

describe('ReceiptTracker', () => {
  it('holds a receipt that arrives before its message is tracked and reconciles it afterwards', () => {
    const { instance, events } = tracker();
    instance.receive(receipt('a1', 'DELIVRD'));
    expect(events).toHaveLength(0);
    instance.track(['a1', 'a2'], 'msg-1', '+260971234567');
    expect(events).toHaveLength(0);
    instance.receive(receipt('a2', 'DELIVRD'));
    expect(events).toEqual([
      expect.objectContaining({ providerMessageId: 'a1', messageId: 'msg-1', status: 'delivered' }),
    ]);
  });

  it('reports a receipt for a message it never tracked on its own after the hold', async () => {
    const { instance, events } = tracker(20);
    instance.receive(receipt('zz', 'UNDELIV', { errorCode: '001', matched: false }));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(events).toEqual([
      expect.objectContaining({
        providerMessageId: 'zz',
        status: 'undelivered',
        recipient: '+260971234567',
        error: { code: '001', message: 'stat:UNDELIV' },
        details: expect.objectContaining({ reconciled: 'false' }),
      }),
    ]);
  });

  it('reports the first failed part once and ignores later receipts of that message', async () => {
    const { instance, events } = tracker(20);
    instance.track(['b1', 'b2', 'b3'], 'msg-2', '+260971234567');
    instance.receive(receipt('b1', 'DELIVRD'));
    expect(events).toHaveLength(0);
    instance.receive(receipt('b2', 'UNDELIV'));
    instance.receive(receipt('b3', 'DELIVRD'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      status: 'undelivered',
      details: { part: '2', partStatuses: 'delivered,undelivered,pending' },
    });
  });

  it('matches a receipt id written in decimal to a hex submit id the session did not match', () => {
    const { instance, events } = tracker();
    instance.track(['a0001'], 'msg-3', '+260971234567');
    instance.receive(receipt(String(0xa0001), 'DELIVRD', { matched: false }));
    expect(events[0]).toMatchObject({ providerMessageId: 'a0001', status: 'delivered' });
  });

  it('forgets the oldest messages beyond its capacity', () => {
    const { instance } = tracker(30, 2);
    instance.track(['c1'], 'm1', '+260971234567');
    instance.track(['c2'], 'm2', '+260971234567');
    instance.track(['c3'], 'm3', '+260971234567');
    expect(instance.trackedCount).toBe(2);
    instance.flush();
  });
});

describe('ReceiptTracker options', () => {
  it('reports receipt-derived `sent` too when reportSent is on, then each forward change once', () => {
    const events: DeliveryEvent[] = [];
    const instance = new ReceiptTracker({
      capacity: 10,
      holdMs: 30,
      now: () => 0,
      emit: (event) => events.push(event),
      reportSent: true,
      partStatuses: 'providerStatus',
    });
    instance.track(['d1', 'd2'], 'msg-4', '+260971234567');
    instance.receive(receipt('d1', 'DELIVRD'));
    instance.receive(receipt('d1', 'DELIVRD'));
    instance.receive(receipt('d2', 'DELIVRD'));
    expect(events.map((event) => [event.status, event.details?.partStatuses, event.eventId])).toEqual([
      ['sent', 'DELIVRD,-', 'd1:sent'],
      ['delivered', 'DELIVRD,DELIVRD', 'd1:delivered'],
    ]);
  });

  it('never reports a status that does not move the message forward', () => {
    const { instance, events } = tracker();
    instance.track(['e1'], 'msg-5', '+260971234567');
    instance.receive(receipt('e1', 'ENROUTE'));
    expect(events).toHaveLength(0);
    instance.receive(receipt('e1', 'DELIVRD'));
    instance.receive(receipt('e1', 'ENROUTE'));
    expect(events.map((event) => event.status)).toEqual(['delivered']);
  });

  it('keeps the network error code of the deciding receipt in the details', () => {
    const { instance, events } = tracker();
    instance.track(['f1'], 'msg-6', '+260971234567');
    instance.receive(
      receipt('f1', 'UNDELIV', { errorCode: '034', networkErrorCode: { networkType: 3, code: 34 } }),
    );
    expect(events[0]).toMatchObject({
      status: 'undelivered',
      eventId: 'f1:undelivered',
      error: { code: '034' },
      details: { networkErrorCode: '3:34', parts: '1' },
    });
  });
});
