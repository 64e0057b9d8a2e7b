import { describe, expect, it } from 'vitest';
import { admit } from '../src/dispatch/backpressure.js';
import { ConcurrencyLimit } from '../src/dispatch/concurrency-limit.js';
import { newMessageId } from '../src/message-id.js';
import { GroupCommitWriter } from '../src/store/sqlite-writer.js';

describe('concurrency sized to provider latency', () => {
  /** Sends finishing one after another: `latency(limit)` ms each, with a backlog waiting or not. */
  function drive(
    limit: ConcurrencyLimit,
    latency: (current: number) => number,
    sends: number,
    saturated = true,
  ) {
    for (let index = 0; index < sends; index++) limit.sample(latency(limit.current), saturated);
  }

  it('grows while a backlog waits and latency stays flat, up to max', () => {
    const limit = new ConcurrencyLimit({ min: 32, max: 1024 });
    drive(limit, () => 300, 20_000);
    expect(limit.current).toBe(1024);
  });

  it('does not grow without a backlog: nothing is held back', () => {
    const limit = new ConcurrencyLimit({ min: 32, max: 1024 });
    drive(limit, () => 300, 20_000, false);
    expect(limit.current).toBe(32);
  });

  it('settles near what a provider takes at once when more only makes it queue', () => {
    // A provider serving 200 requests at once in 100 ms; beyond that they queue.
    const limit = new ConcurrencyLimit({ min: 16, max: 4096 });
    drive(limit, (current) => 100 * Math.max(1, current / 200), 200_000);
    expect(limit.current).toBeGreaterThanOrEqual(150);
    expect(limit.current).toBeLessThanOrEqual(400);
  });

  it('follows a provider that became slower for good: down to min, then up again from there', () => {
    const limit = new ConcurrencyLimit({ min: 32, max: 1024 });
    drive(limit, () => 100, 20_000);
    expect(limit.current).toBe(1024);
    let lowest = limit.current;
    for (let index = 0; index < 200_000 && limit.current === 1024; index++) limit.sample(300, true);
    for (let index = 0; index < 200_000; index++) {
      limit.sample(300, true);
      lowest = Math.min(lowest, limit.current);
    }
    expect(lowest).toBe(32);
    expect(limit.current).toBe(1024);
  });

  it('stays where it is told when min equals max', () => {
    const limit = new ConcurrencyLimit({ min: 4, max: 4 });
    drive(limit, () => 10, 1000);
    expect(limit.current).toBe(4);
  });
});

describe('backpressure decisions', () => {
  const limits = { maxMessages: 100, maxAgeMs: 60_000 };
  const backlog = (queued: number, byApiKey: Record<string, number> = {}, oldestQueuedAt = 1000) => ({
    queued,
    oldestQueuedAt: queued > 0 ? oldestQueuedAt : undefined,
    byApiKey,
  });
  const request = (apiKeyId: string | undefined, count = 1) => ({
    apiKeyId,
    count,
    now: 2000,
    deliveredPerSecond: 10,
  });

  it('admits under half the bound whoever asks', () => {
    expect(admit(backlog(49, { a: 49 }), limits, request('a'))).toEqual({ admitted: true });
  });

  it('refuses a key over its share past half the bound, not the others', () => {
    const state = backlog(80, { a: 70, b: 10 });
    expect(admit(state, limits, request('a'))).toMatchObject({
      admitted: false,
      status: 429,
      code: 'backlog_share',
    });
    expect(admit(state, limits, request('b'))).toEqual({ admitted: true });
    expect(admit(state, limits, request('c'))).toEqual({ admitted: true });
  });

  it('lets a lone key use the whole bound, then refuses everyone with 503', () => {
    expect(admit(backlog(99, { a: 99 }), limits, request('a'))).toEqual({ admitted: true });
    expect(admit(backlog(100, { a: 100 }), limits, request('b'))).toMatchObject({
      status: 503,
      code: 'backlogged',
    });
    expect(admit(backlog(100, { a: 100 }), limits, request(undefined))).toMatchObject({ status: 503 });
  });

  it('refuses everyone once the oldest message waited too long, and says when to come back', () => {
    const old = backlog(10, { a: 10 }, 2000 - 61_000);
    const refused = admit(old, limits, request('b'));
    expect(refused).toMatchObject({ admitted: false, status: 503 });
    expect(refused.admitted === false && refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('asks a client to come back when the backlog will have drained below the bound', () => {
    const refused = admit(backlog(150, { a: 150 }), limits, { ...request('a'), deliveredPerSecond: 20 });
    // 60 messages over 90 % of the bound at 20 per second: 3 s.
    expect(refused).toMatchObject({ retryAfterSeconds: 3 });
  });
});

describe('message ids', () => {
  it('are UUIDv7 after msg_: time first, so they sort by creation time', () => {
    const first = newMessageId(1_700_000_000_000);
    const second = newMessageId(1_700_000_000_001);
    expect(first).toMatch(/^msg_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(first.slice(4, 16)).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
    expect([second, first].sort()).toEqual([first, second]);
    expect(newMessageId(1_700_000_000_000)).not.toBe(first);
  });
});

describe('group commit', () => {
  function recordingWriter() {
    const log: string[] = [];
    const hooks = {
      transaction: <T>(work: () => T) => {
        log.push('savepoint');
        return work();
      },
      commit: <T>(work: () => T) => {
        log.push('begin');
        try {
          const value = work();
          log.push('commit');
          return value;
        } catch (error) {
          log.push('rollback');
          throw error;
        }
      },
      isOpen: () => true,
      afterCommit: () => log.push('after'),
    };
    return { log, writer: new GroupCommitWriter(hooks, true) };
  }

  it('runs the writes of one turn in one transaction, with no savepoint per write', async () => {
    const { log, writer } = recordingWriter();
    const values = await Promise.all([
      writer.write('a', () => 1),
      writer.write('b', () => 2),
      writer.write('c', () => 3),
    ]);
    expect(values).toEqual([1, 2, 3]);
    expect(log).toEqual(['begin', 'commit', 'after']);
  });

  it('runs the batch again with a savepoint per write when one fails, so only that one fails', async () => {
    const { log, writer } = recordingWriter();
    const results = await Promise.allSettled([
      writer.write('a', () => 1),
      writer.write('b', () => {
        throw new Error('constraint');
      }),
      writer.write('c', () => 3),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual([
      'begin',
      'rollback',
      'begin',
      'savepoint',
      'savepoint',
      'savepoint',
      'commit',
      'after',
    ]);
  });
});
