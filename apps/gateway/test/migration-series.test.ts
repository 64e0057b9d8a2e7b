import { describe, expect, it } from 'vitest';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { queuedSms } from './store-contract.js';

describe("a migration's series for charts", () => {
  it('counts every message in the bucket its time falls in, buckets aligned on the range start', async () => {
    const store = new SqliteMessageStore({ path: ':memory:' });
    const since = 1_000_000;
    const bucketMs = 60_000;
    // Three messages in the first minute, one in the third, all on the `from` side.
    for (const [index, offset] of [1_000, 20_500, 59_999, 130_000].entries()) {
      const id = `m${index}`;
      const at = since + offset;
      await store.accept(queuedSms(id, { createdAt: at, updatedAt: at }));
      await store.claim([id], at);
      await store.finishDispatch(
        id,
        {
          status: 'delivered',
          providerId: 'old',
          providerMessageId: `p${index}`,
          migration: { id: 'move', side: 'from' },
          attempts: [
            {
              messageId: id,
              sequence: 1,
              providerId: 'old',
              startedAt: at,
              finishedAt: at + 5,
              latencyMs: 5,
              outcome: 'succeeded',
              possibleDuplicate: false,
              migrationId: 'move',
            },
          ],
        },
        at + 10,
      );
    }
    const points = await store.series({
      migrationId: 'move',
      providers: ['old'],
      since,
      until: since + 5 * bucketMs,
      bucketMs,
      settledBefore: since + 10 * bucketMs,
    });
    expect(
      points.map((point) => ({ at: point.at - since, sends: point.sends, settled: point.settled })),
    ).toEqual([
      { at: 0, sends: 3, settled: 3 },
      { at: 2 * bucketMs, sends: 1, settled: 1 },
    ]);
    await store.close();
  });
});
