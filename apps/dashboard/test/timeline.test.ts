import { describe, expect, it } from 'vitest';
import type { MessageDetail } from '../src/api-types.js';
import { timelineOf } from '../src/timeline.js';

describe("a message's timeline", () => {
  it('orders acceptance, attempts and receipts by time, a receipt before the send returned included', () => {
    const message = {
      id: 'msg_1',
      channel: 'sms',
      to: '+260971234567',
      status: 'delivered',
      dispatch: 'done',
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:01.000Z',
      possibleDuplicate: false,
      attempts: [
        {
          number: 1,
          provider: 'a',
          outcome: 'failed',
          startedAt: '2030-01-01T00:00:00.010Z',
          finishedAt: '2030-01-01T00:00:00.050Z',
          error: { kind: 'transient', code: '503' },
          possibleDuplicate: false,
        },
        {
          number: 2,
          provider: 'b',
          outcome: 'succeeded',
          startedAt: '2030-01-01T00:00:00.060Z',
          finishedAt: '2030-01-01T00:00:00.300Z',
          possibleDuplicate: false,
        },
      ],
      events: [
        {
          status: 'delivered',
          providerStatus: 'DELIVRD',
          provider: 'b',
          occurredAt: '2030-01-01T00:00:00.200Z',
          receivedAt: '2030-01-01T00:00:00.250Z',
        },
      ],
    } satisfies MessageDetail;
    expect(timelineOf(message).map((item) => [item.kind, item.tone, item.text])).toEqual([
      ['accepted', 'neutral', 'Accepted by the gateway'],
      ['attempt', 'neutral', 'Attempt 1 to a'],
      ['outcome', 'bad', 'a failed: transient 503'],
      ['attempt', 'neutral', 'Attempt 2 to b'],
      ['receipt', 'good', 'Receipt from b: delivered (DELIVRD)'],
      ['outcome', 'good', 'b succeeded'],
    ]);
  });
});
