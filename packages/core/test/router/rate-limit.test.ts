import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProviderPolicyConfig, RetryOrder } from '../../src/router/config.js';
import { Router } from '../../src/router/router.js';
import { failure, scriptedProvider, sms } from './helpers.js';

/**
 * One clock for everything: the breaker reads `Date.now()`, the router `now`, and each wait the
 * router asks for moves the (fake) time on by that much.
 */
function setup(
  policy: ProviderPolicyConfig = {},
  providers = ['limited', 'backup'],
  retries: RetryOrder = 'after-failover',
) {
  const scripted = providers.map((id) => scriptedProvider(id));
  const delays: number[] = [];
  const router = new Router({
    config: { routes: [{ id: 'main', providers, retries }], providers: { limited: policy } },
    providers: scripted,
    sleep: async (ms) => {
      delays.push(ms);
      vi.advanceTimersByTime(ms);
    },
    random: () => 0.5,
  });
  const statusOf = (id: string) => router.status().providers.find((provider) => provider.id === id);
  return { router, limited: scripted[0] as ReturnType<typeof scriptedProvider>, scripted, delays, statusOf };
}

/** mulberry32: the same pattern of refusals on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), state | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const tooMany = (retryAfterMs?: number) =>
  failure('limited', 'rate-limited', retryAfterMs === undefined ? {} : { retryAfterMs });

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('rate limiting is back-pressure, not ill health', () => {
  it('delivers nearly everything from a provider answering half its requests 429 with Retry-After: 2', async () => {
    const { router, limited, statusOf } = setup({}, ['limited']);
    const random = seeded(9);
    limited.fallback = () =>
      random() < 0.5
        ? Promise.reject(tooMany(2000))
        : Promise.resolve({ providerMessageId: 'ok', status: 'queued' });
    let delivered = 0;
    for (let index = 0; index < 500; index++) {
      if (await router.send(sms()).catch(() => undefined)) delivered++;
      // A message every 100 ms, as steady traffic would come.
      vi.advanceTimersByTime(100);
    }
    expect(delivered / 500).toBeGreaterThan(0.95);
    expect(statusOf('limited')?.breaker).toBe('closed');
  });

  it('never opens the breaker on rate-limited answers within the grace period', async () => {
    const { router, limited, statusOf } = setup({ retry: { rateLimitWaitMs: 0 } });
    limited.fallback = tooMany(100);
    for (let index = 0; index < 20; index++) {
      expect((await router.send(sms())).provider).toBe('backup');
      vi.advanceTimersByTime(200);
    }
    expect(limited.calls).toHaveLength(20);
    expect(statusOf('limited')?.breaker).toBe('closed');
  });

  it('leaves a rate-limited provider at once for the next one, and passes it over while its pause lasts', async () => {
    const { router, limited, scripted, delays } = setup();
    limited.script = [tooMany(1500)];
    const first = await router.send(sms());
    expect(first.attempts.map((attempt) => attempt.provider)).toEqual(['limited', 'backup']);
    vi.advanceTimersByTime(1000);
    const second = await router.send(sms());
    expect(second.provider).toBe('backup');
    expect(second.skipped).toEqual([{ provider: 'limited', reason: 'throttled' }]);
    expect(delays).toEqual([]);
    // The pause is over: the next message goes to the provider again.
    vi.advanceTimersByTime(500);
    expect((await router.send(sms())).provider).toBe('limited');
    expect(limited.calls).toHaveLength(2);
    expect(scripted[1]?.calls).toHaveLength(2);
  });

  it('waits the pause out when no other provider can take the message', async () => {
    const { router, limited, scripted, delays } = setup();
    limited.script = [tooMany(1500)];
    // A configuration error is not tried again: only the paused provider is left.
    scripted[1]!.script = [failure('backup', 'configuration')];
    const sent = await router.send(sms());
    expect(sent.attempts.map((attempt) => attempt.provider)).toEqual(['limited', 'backup', 'limited']);
    expect(delays).toEqual([1500]);
  });

  it('pauses the provider for every message until its retry-after has passed (retries: before-failover)', async () => {
    const { router, limited, delays } = setup({}, undefined, 'before-failover');
    limited.script = [tooMany(1500)];
    const first = await router.send(sms());
    expect(first.attempts.map((attempt) => attempt.provider)).toEqual(['limited', 'limited']);
    expect(delays).toEqual([1500]);
    // The pause is over: the next message goes at once.
    await router.send(sms());
    expect(delays).toEqual([1500]);
    expect(limited.calls).toHaveLength(3);
  });

  it('makes a message that arrives during a pause wait for its end before calling (retries: before-failover)', async () => {
    const { router, limited, scripted, delays } = setup(
      { retry: { rateLimitWaitMs: 0 } },
      undefined,
      'before-failover',
    );
    limited.script = [tooMany(1800)];
    // No budget to wait: this message moves on, but the provider stays paused for 1.8 s.
    expect((await router.send(sms())).provider).toBe('backup');
    vi.advanceTimersByTime(800);
    const next = await router.send(sms());
    // Still paused for 1 s and no budget: skipped without a call.
    expect(next.skipped).toEqual([{ provider: 'limited', reason: 'throttled' }]);
    expect(limited.calls).toHaveLength(1);
    expect(scripted[1]?.calls).toHaveLength(2);
    expect(delays).toEqual([]);
  });

  it('waits a pause out when the message has the budget, without calling in between (retries: before-failover)', async () => {
    const { router, limited, delays } = setup({}, undefined, 'before-failover');
    limited.script = [tooMany(1800)];
    const firstSend = router.send(sms());
    await firstSend;
    expect(delays).toEqual([1800]);
    limited.script = [tooMany(1200)];
    await router.send(sms());
    // The second message's first call was refused; it waited 1.2 s, then went through.
    expect(delays).toEqual([1800, 1200]);
    expect(limited.calls).toHaveLength(4);
  });

  it('waits out retry-afters without using up maxRetries, up to rateLimitWaitMs, then fails over (retries: before-failover)', async () => {
    const { router, limited } = setup(
      { retry: { maxRetries: 0, rateLimitWaitMs: 2500 } },
      undefined,
      'before-failover',
    );
    limited.script = [tooMany(1000), tooMany(1000)];
    const patient = await router.send(sms());
    expect(patient.provider).toBe('limited');
    expect(patient.attempts.map((attempt) => attempt.retry)).toEqual([0, 1, 2]);

    limited.script = [tooMany(1000), tooMany(1000), tooMany(1000)];
    const movedOn = await router.send(sms());
    expect(movedOn.attempts.map((attempt) => attempt.provider)).toEqual([
      'limited',
      'limited',
      'limited',
      'backup',
    ]);
  });

  it('waits out retry-afters up to rateLimitWaitMs when it is the only provider, then fails', async () => {
    const { router, limited } = setup({ retry: { maxRetries: 0, rateLimitWaitMs: 2500 } }, ['limited']);
    limited.script = [tooMany(1000), tooMany(1000)];
    const patient = await router.send(sms());
    expect(patient.attempts.map((attempt) => attempt.retry)).toEqual([0, 1, 2]);
    limited.script = [tooMany(1000), tooMany(1000), tooMany(1000)];
    await expect(router.send(sms())).rejects.toMatchObject({ code: 'MSG_ERR_ROUTING_EXHAUSTED' });
    expect(limited.calls).toHaveLength(6);
  });

  it('leaves a provider whose retry-after is longer than maxDelayMs for the next one, and skips it meanwhile', async () => {
    const { router, limited, delays } = setup();
    limited.script = [tooMany(60_000)];
    expect((await router.send(sms())).provider).toBe('backup');
    const next = await router.send(sms());
    expect(next.skipped).toEqual([{ provider: 'limited', reason: 'throttled' }]);
    expect(limited.calls).toHaveLength(1);
    expect(delays).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect((await router.send(sms())).provider).toBe('limited');
  });

  it('treats a rate limit without retry-after as an ordinary retry, out of maxRetries', async () => {
    const before = setup({ retry: { maxRetries: 1 } }, undefined, 'before-failover');
    before.limited.fallback = tooMany();
    const sent = await before.router.send(sms());
    expect(sent.attempts.map((attempt) => attempt.provider)).toEqual(['limited', 'limited', 'backup']);
    expect(before.delays).toHaveLength(1);

    const after = setup({ retry: { maxRetries: 1 } });
    after.limited.fallback = tooMany();
    after.scripted[1]!.script = [failure('backup', 'transient')];
    const retried = await after.router.send(sms());
    expect(retried.attempts.map((attempt) => attempt.provider)).toEqual([
      'limited',
      'backup',
      'limited',
      'backup',
    ]);
  });

  it('counts rate-limited answers against the breaker once they have lasted rateLimitGraceMs with no success', async () => {
    const { router, limited, statusOf } = setup({
      retry: { rateLimitWaitMs: 0 },
      breaker: { rateLimitGraceMs: 30_000, failureThreshold: 3 },
    });
    limited.fallback = tooMany(100);
    for (let index = 0; index < 10; index++) {
      await router.send(sms());
      vi.advanceTimersByTime(1000);
    }
    expect(statusOf('limited')?.breaker).toBe('closed');
    vi.advanceTimersByTime(20_000);
    for (let index = 0; index < 3; index++) {
      await router.send(sms());
      vi.advanceTimersByTime(200);
    }
    expect(statusOf('limited')?.breaker).toBe('open');
  });

  it('starts the grace period again after a success', async () => {
    const { router, limited, statusOf } = setup({
      retry: { rateLimitWaitMs: 0 },
      breaker: { rateLimitGraceMs: 30_000, failureThreshold: 3 },
    });
    limited.fallback = tooMany(100);
    await router.send(sms());
    vi.advanceTimersByTime(29_000);
    limited.script = ['ok'];
    await router.send(sms());
    vi.advanceTimersByTime(5_000);
    for (let index = 0; index < 5; index++) {
      await router.send(sms());
      vi.advanceTimersByTime(200);
    }
    expect(statusOf('limited')?.breaker).toBe('closed');
  });
});
