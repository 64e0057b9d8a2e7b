import { describe, expect, it } from 'vitest';
import {
  canAdvanceStatus,
  DELIVERY_STATUSES,
  type DeliveryStatus,
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

  it('classifies finals', () => {
    const finals = DELIVERY_STATUSES.filter(isFinalStatus);
    expect(finals).not.toContain('queued');
    expect(finals).not.toContain('unknown');
    expect(finals).toContain('bounced');
  });
});
