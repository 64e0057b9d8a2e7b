import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_WEIGHTS } from '../../src/router/config.js';
import { HealthWindow } from '../../src/router/health.js';
import { MemoryRouterStateStore } from '../../src/router/state.js';
import { type ProviderLoad, scoreProviders } from '../../src/router/strategies.js';

describe('health window', () => {
  it('reports success rate and mean latency over the window only', () => {
    const window = new HealthWindow(10_000, 10);
    window.record(0, false, 100);
    window.record(0, false, 100);
    window.record(5_000, true, 40);
    window.record(5_000, true, 20);
    expect(window.snapshot(5_000)).toEqual({ successRate: 0.5, meanLatencyMs: 65, samples: 4 });
    // The failures at t=0 have left the window; the successes at t=5 s have not.
    expect(window.snapshot(12_000)).toEqual({ successRate: 1, meanLatencyMs: 30, samples: 2 });
    expect(window.snapshot(30_000)).toEqual({ successRate: undefined, meanLatencyMs: undefined, samples: 0 });
  });
});

describe('health scores', () => {
  const entries = [
    { id: 'a', weight: 1, priority: 0 },
    { id: 'b', weight: 1, priority: 1 },
  ];
  const score = (loads: Record<string, ProviderLoad>, weights = DEFAULT_HEALTH_WEIGHTS) =>
    Object.fromEntries(
      scoreProviders(entries, { weights, load: (id) => loads[id] as ProviderLoad }).map((item) => [
        item.provider,
        Math.round(item.score * 10) / 10,
      ]),
    );
  const idle: ProviderLoad = {
    successRate: undefined,
    meanLatencyMs: undefined,
    inFlight: 0,
    maxInFlight: undefined,
  };

  it('weighs health 40, priority 30, latency 20, load 10 by default', () => {
    expect(score({ a: idle, b: idle })).toEqual({ a: 100, b: 70 });
    expect(
      score({
        a: { successRate: 0.5, meanLatencyMs: 200, inFlight: 1, maxInFlight: undefined },
        b: { successRate: 1, meanLatencyMs: 100, inFlight: 0, maxInFlight: undefined },
      }),
    ).toEqual({
      // a: 40*0.5 + 30*1 + 20*(100/200) + 10*(1/2) = 65; b: 40 + 0 + 20 + 10 = 70
      a: 65,
      b: 70,
    });
  });

  it('takes configured weights and a bulkhead as the load scale', () => {
    expect(
      score(
        {
          a: { ...idle, inFlight: 3, maxInFlight: 4 },
          b: idle,
        },
        { health: 0, priority: 0, latency: 0, load: 1 },
      ),
    ).toEqual({ a: 25, b: 100 });
  });
});

describe('memory state store', () => {
  it('refills a token bucket at its rate up to its burst', () => {
    const store = new MemoryRouterStateStore();
    const limit = { perSecond: 10, burst: 3 };
    const take = (now: number) => store.takeToken('key', limit, now);
    expect([take(0), take(0), take(0), take(0)]).toEqual([true, true, true, false]);
    expect([take(100), take(100)]).toEqual([true, false]);
    expect([take(10_000), take(10_000), take(10_000), take(10_000)]).toEqual([true, true, true, false]);
  });

  it('notifies subscribers of every change and merges migration settings', () => {
    const store = new MemoryRouterStateStore();
    const changes: string[] = [];
    const stop = store.subscribe((change) => changes.push(change.type));
    store.setMigration('m', { percentage: 20 });
    store.setMigration('m', { mode: 'rolled-back' });
    store.setHalted('p', true);
    stop();
    store.setHalted('p', false);
    expect(store.getMigration('m')).toEqual({ percentage: 20, mode: 'rolled-back' });
    expect(store.isHalted('p')).toBe(false);
    expect(changes).toEqual(['migration', 'migration', 'halt']);
  });
});
