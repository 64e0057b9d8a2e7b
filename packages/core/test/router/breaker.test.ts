import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BreakerConfig } from '../../src/router/config.js';
import type { RouterEvent } from '../../src/router/events.js';
import { Router } from '../../src/router/router.js';
import { MemoryRouterStateStore } from '../../src/router/state.js';
import { failure, scriptedProvider, sms } from './helpers.js';

function setup(breaker: BreakerConfig = {}, store = new MemoryRouterStateStore()) {
  const flaky = scriptedProvider('flaky');
  const backup = scriptedProvider('backup');
  const router = new Router({
    config: {
      routes: [{ id: 'main', providers: ['flaky', 'backup'] }],
      defaults: { retry: { maxRetries: 0 } },
      providers: { flaky: { breaker } },
    },
    providers: [flaky, backup],
    store,
  });
  const events: string[] = [];
  router.events.onAny((event: RouterEvent) => {
    if (event.type.startsWith('breaker-')) events.push(`${event.type}`);
  });
  const breakerOf = () => router.status().providers.find((provider) => provider.id === 'flaky')?.breaker;
  return { router, flaky, backup, events, breakerOf, store };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('circuit breaker, consecutive mode', () => {
  it('opens after 5 consecutive failures and then skips the provider without calling it', async () => {
    const { router, flaky, events, breakerOf } = setup();
    flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 4; index++) await router.send(sms());
    expect(breakerOf()).toBe('closed');
    await router.send(sms());
    expect(breakerOf()).toBe('open');
    expect(events).toEqual(['breaker-opened']);
    const sent = await router.send(sms());
    expect(flaky.calls).toHaveLength(5);
    expect(sent.skipped).toEqual([{ provider: 'flaky', reason: 'breaker-open' }]);
    expect(sent.provider).toBe('backup');
  });

  it('resets the count on a success', async () => {
    const { router, flaky, breakerOf } = setup();
    const transient = failure('flaky', 'transient');
    flaky.script = [
      transient,
      transient,
      transient,
      transient,
      'ok',
      transient,
      transient,
      transient,
      transient,
    ];
    for (let index = 0; index < 9; index++) await router.send(sms());
    expect(breakerOf()).toBe('closed');
  });

  it('does not count permanent errors: the provider answered', async () => {
    const { router, flaky, breakerOf } = setup();
    flaky.fallback = failure('flaky', 'permanent');
    for (let index = 0; index < 10; index++) await router.send(sms()).catch(() => {});
    expect(breakerOf()).toBe('closed');
  });

  it('half-opens after 60 s, and closes only after 2 successful probes', async () => {
    const { router, flaky, events, breakerOf } = setup();
    flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 5; index++) await router.send(sms());
    flaky.fallback = 'ok';
    vi.advanceTimersByTime(59_999);
    expect((await router.send(sms())).provider).toBe('backup');
    vi.advanceTimersByTime(1);
    const probe = await router.send(sms());
    expect(probe.provider).toBe('flaky');
    expect(breakerOf()).toBe('half-open');
    const second = await router.send(sms());
    expect(second.provider).toBe('flaky');
    expect(breakerOf()).toBe('closed');
    expect(events).toEqual(['breaker-opened', 'breaker-half-open', 'breaker-closed']);
  });

  it('opens again when a probe fails, for another full wait', async () => {
    const { router, flaky, events, breakerOf } = setup();
    flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 5; index++) await router.send(sms());
    vi.advanceTimersByTime(60_000);
    await router.send(sms());
    expect(breakerOf()).toBe('open');
    expect(flaky.calls).toHaveLength(6);
    vi.advanceTimersByTime(59_000);
    await router.send(sms());
    expect(flaky.calls).toHaveLength(6);
    expect(events).toEqual(['breaker-opened', 'breaker-half-open', 'breaker-opened']);
  });

  it('opens again on a failure between the first and the last needed success', async () => {
    const { router, flaky, breakerOf } = setup({ successThreshold: 3 });
    flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 5; index++) await router.send(sms());
    vi.advanceTimersByTime(60_000);
    flaky.script = ['ok', 'ok', failure('flaky', 'transient')];
    await router.send(sms());
    await router.send(sms());
    expect(breakerOf()).toBe('half-open');
    await router.send(sms());
    expect(breakerOf()).toBe('open');
  });

  it('lets one probe through at a time while half-open; other messages fail over instead of waiting', async () => {
    const { router, flaky, breakerOf } = setup({ successThreshold: 1 });
    flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 5; index++) await router.send(sms());
    vi.advanceTimersByTime(60_000);
    let release: () => void = () => {};
    flaky.script = [
      () =>
        new Promise((resolve) => {
          release = () => resolve({ providerMessageId: 'probe', status: 'queued' });
        }),
    ];
    const probe = router.send(sms());
    await vi.advanceTimersByTimeAsync(0);
    const during = await router.send(sms());
    expect(during.provider).toBe('backup');
    expect(during.skipped).toEqual([{ provider: 'flaky', reason: 'breaker-open' }]);
    release();
    expect((await probe).provider).toBe('flaky');
    expect(breakerOf()).toBe('closed');
  });

  it('takes every threshold from config', async () => {
    const { router, flaky, breakerOf } = setup({
      failureThreshold: 2,
      halfOpenAfterMs: 1_000,
      successThreshold: 1,
    });
    flaky.fallback = failure('flaky', 'transient');
    await router.send(sms());
    await router.send(sms());
    expect(breakerOf()).toBe('open');
    flaky.fallback = 'ok';
    vi.advanceTimersByTime(1_000);
    await router.send(sms());
    expect(breakerOf()).toBe('closed');
  });

  it('can be closed by hand', async () => {
    const { router, flaky, breakerOf } = setup();
    flaky.fallback = failure('flaky', 'configuration');
    await router.send(sms());
    expect(breakerOf()).toBe('open');
    await router.resetBreaker('flaky');
    expect(breakerOf()).toBe('closed');
  });
});

describe('circuit breaker, error-rate mode', () => {
  it('opens when the share of failures over the window passes the threshold', async () => {
    const { router, flaky, breakerOf } = setup({
      mode: 'error-rate',
      errorRateThreshold: 0.5,
      windowMs: 10_000,
      minimumRps: 1,
    });
    // 3 successes, then failures: at 10 calls in the window, 7 failed (70% > 50%).
    flaky.script = ['ok', 'ok', 'ok'];
    flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 10; index++) {
      await router.send(sms());
      vi.advanceTimersByTime(100);
    }
    expect(breakerOf()).toBe('open');
  });

  it('stays closed under the minimum request rate, however many fail', async () => {
    const { router, flaky, breakerOf } = setup({
      mode: 'error-rate',
      errorRateThreshold: 0.5,
      windowMs: 10_000,
      minimumRps: 1,
    });
    flaky.fallback = failure('flaky', 'transient');
    // 9 calls over 10 s is under 1 per second.
    for (let index = 0; index < 9; index++) await router.send(sms());
    expect(breakerOf()).toBe('closed');
    await router.send(sms());
    expect(breakerOf()).toBe('open');
  });

  it('stays closed while failures stay below the threshold', async () => {
    const { router, flaky, breakerOf } = setup({
      mode: 'error-rate',
      errorRateThreshold: 0.5,
      windowMs: 10_000,
      minimumRps: 1,
    });
    const transient = failure('flaky', 'transient');
    flaky.script = Array.from({ length: 30 }, (_, index) => (index % 3 === 0 ? transient : 'ok'));
    for (let index = 0; index < 30; index++) {
      await router.send(sms());
      vi.advanceTimersByTime(100);
    }
    expect(flaky.calls).toHaveLength(30);
    expect(breakerOf()).toBe('closed');
  });
});

describe('shared breaker state', () => {
  it('writes transitions to the store and restores them on a new instance', async () => {
    const store = new MemoryRouterStateStore();
    const first = setup({}, store);
    first.flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 5; index++) await first.router.send(sms());
    expect(store.getBreaker('flaky')?.state).toBeDefined();
    const restarted = setup({}, store);
    expect(restarted.breakerOf()).toBe('open');
    expect((await restarted.router.send(sms())).provider).toBe('backup');
    expect(restarted.flaky.calls).toHaveLength(0);
  });

  it('tells the other instances, so that the fleet skips a dead provider together', async () => {
    const store = new MemoryRouterStateStore();
    const one = setup({}, store);
    const other = setup({}, store);
    one.flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 5; index++) await one.router.send(sms());
    expect(other.breakerOf()).toBe('open');
    expect((await other.router.send(sms())).provider).toBe('backup');
    expect(other.flaky.calls).toHaveLength(0);
    other.router.close();
    await one.router.resetBreaker('flaky');
    expect(other.breakerOf()).toBe('open');
  });
});
