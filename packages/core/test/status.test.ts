import { describe, expect, it } from 'vitest';
import {
  canAdvanceStatus,
  DELIVERY_STATUSES,
  type DeliveryStatus,
  isDeliveredStatus,
  isFinalStatus,
  reduceStatuses,
} from '../src/status.js';

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('delivery status model', () => {
  it('never lets a late sent or queued overwrite delivered', () => {
    expect(canAdvanceStatus('delivered', 'sent')).toBe(false);
    expect(canAdvanceStatus('delivered', 'queued')).toBe(false);
    expect(canAdvanceStatus('sent', 'delivered')).toBe(true);
  });

  it('ends in the same status whatever order queued, sent and delivered arrive in', () => {
    for (const order of permutations<DeliveryStatus>(['queued', 'sent', 'delivered'])) {
      expect(reduceStatuses(order)).toBe('delivered');
    }
  });

  it('keeps the first final outcome', () => {
    expect(reduceStatuses(['sent', 'failed', 'delivered'])).toBe('failed');
    expect(reduceStatuses(['sent', 'delivered', 'undelivered'])).toBe('delivered');
  });

  it('lets a late receipt replace unknown', () => {
    expect(canAdvanceStatus('unknown', 'delivered')).toBe(true);
    expect(canAdvanceStatus('delivered', 'unknown')).toBe(false);
  });

  it('moves email engagement forward after delivery but never over a bounce', () => {
    expect(reduceStatuses(['delivered', 'clicked', 'opened'])).toBe('clicked');
    expect(canAdvanceStatus('bounced', 'opened')).toBe(false);
    expect(canAdvanceStatus('clicked', 'complained')).toBe(true);
  });

  it('takes WhatsApp read as delivered-or-later, in any order, never over a failure', () => {
    for (const order of permutations<DeliveryStatus>(['sent', 'delivered', 'read'])) {
      expect(reduceStatuses(order), order.join(' -> ')).toBe('read');
    }
    // Meta skips `delivered` when the message is read at once.
    expect(reduceStatuses(['sent', 'read'])).toBe('read');
    expect(canAdvanceStatus('read', 'delivered')).toBe(false);
    expect(canAdvanceStatus('failed', 'read')).toBe(false);
    expect(isDeliveredStatus('read')).toBe(true);
    expect(isFinalStatus('read')).toBe(true);
  });

  it('says which statuses mean the message reached the recipient', () => {
    expect(DELIVERY_STATUSES.filter(isDeliveredStatus)).toEqual([
      'delivered',
      'read',
      'opened',
      'clicked',
      'complained',
    ]);
  });

  it('classifies finals', () => {
    const finals = DELIVERY_STATUSES.filter(isFinalStatus);
    expect(finals).not.toContain('queued');
    expect(finals).not.toContain('unknown');
    expect(finals).toContain('bounced');
  });
});
