import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RouterConfig } from '../../src/router/config.js';
import { Router, TIMEOUT_ERROR_CODE } from '../../src/router/router.js';
import { RoutingError } from '../../src/router/routing-error.js';
import { failure, recordingSleep, scriptedProvider, sms } from './helpers.js';

function chain(failoverOn?: RouterConfig['routes'][number]['failoverOn']) {
  const first = scriptedProvider('first');
  const second = scriptedProvider('second');
  const third = scriptedProvider('third');
  const { sleep, delays } = recordingSleep();
  const router = new Router({
    config: {
      routes: [
        { id: 'main', providers: ['first', 'second', 'third'], ...(failoverOn ? { failoverOn } : {}) },
      ],
      defaults: { retry: { maxRetries: 0 } },
    },
    providers: [first, second, third],
    sleep,
  });
  return { router, first, second, third, delays };
}

async function routingError(promise: Promise<unknown>): Promise<RoutingError> {
  try {
    await promise;
  } catch (error) {
    expect(RoutingError.isInstance(error)).toBe(true);
    return error as RoutingError;
  }
  throw new Error('expected a RoutingError');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('failover', () => {
  it('tries providers in the route order until one accepts', async () => {
    const { router, first, second, third } = chain();
    first.fallback = failure('first', 'transient');
    second.fallback = failure('second', 'rate-limited');
    const sent = await router.send(sms());
    expect(sent.provider).toBe('third');
    expect(sent.result.providerMessageId).toBe('third-1');
    expect(sent.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.trigger])).toEqual([
      ['first', 'failed', 'transient'],
      ['second', 'failed', 'rate-limited'],
      ['third', 'succeeded', undefined],
    ]);
    expect(sent.attempts.map((attempt) => attempt.number)).toEqual([1, 2, 3]);
    expect([first.calls.length, second.calls.length, third.calls.length]).toEqual([1, 1, 1]);
  });

  it('does not fail over a permanent error: a bad number fails fast everywhere', async () => {
    const { router, first, second } = chain();
    first.fallback = failure('first', 'permanent', { providerCode: '21211' });
    const error = await routingError(router.send(sms()));
    expect(error.code).toBe('MSG_ERR_ROUTING_FAILED');
    expect(error.kind).toBe('permanent');
    expect(error.attempts).toHaveLength(1);
    expect(error.attempts[0]?.errorCode).toBe('21211');
    expect(second.calls).toHaveLength(0);
  });

  it('fails over a configuration error and opens that provider breaker at once', async () => {
    const { router, first, second } = chain();
    first.fallback = failure('first', 'configuration');
    expect((await router.send(sms())).provider).toBe('second');
    expect(router.status().providers.find((provider) => provider.id === 'first')?.breaker).toBe('open');
    const next = await router.send(sms());
    expect(next.provider).toBe('second');
    expect(next.skipped).toEqual([{ provider: 'first', reason: 'breaker-open' }]);
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(2);
  });

  it('fails over an ambiguous outcome and flags the attempt as a possible duplicate', async () => {
    const { router, first } = chain();
    first.fallback = failure('first', 'ambiguous');
    const sent = await router.send(sms());
    expect(sent.provider).toBe('second');
    expect(sent.possibleDuplicate).toBe(true);
    expect(sent.attempts[0]).toMatchObject({ errorKind: 'ambiguous', possibleDuplicate: true });
    expect(sent.attempts[1]).toMatchObject({ outcome: 'succeeded', possibleDuplicate: false });
  });

  it('fails an ambiguous outcome on a route that does not fail over on it, recording it as such', async () => {
    const { router, first, second } = chain(['transient', 'timeout', 'breaker-open']);
    first.fallback = failure('first', 'ambiguous');
    const error = await routingError(router.send(sms()));
    expect(error.code).toBe('MSG_ERR_ROUTING_FAILED');
    expect(error.kind).toBe('ambiguous');
    expect(error.possibleDuplicate).toBe(true);
    expect(second.calls).toHaveLength(0);
  });

  it('throws a RoutingError with every attempt when every provider fails', async () => {
    const { router, first, second, third } = chain();
    first.fallback = failure('first', 'transient');
    second.fallback = failure('second', 'rate-limited', { retryAfterMs: 30_000 });
    third.fallback = failure('third', 'transient');
    const error = await routingError(router.send(sms()));
    expect(error.code).toBe('MSG_ERR_ROUTING_EXHAUSTED');
    expect(error.attempts.map((attempt) => attempt.provider)).toEqual(['first', 'second', 'third']);
    expect(error.retryAfterMs).toBe(30_000);
    expect(error.message).toContain('first: transient, second: rate-limited, third: transient');
  });

  it('cuts a call short at the timeout, aborts its signal, and fails over', async () => {
    vi.useFakeTimers();
    const first = scriptedProvider('first', { fallback: 'hang' });
    const second = scriptedProvider('second');
    const router = new Router({
      config: { routes: [{ id: 'main', providers: ['first', 'second'] }], defaults: { timeoutMs: 2_000 } },
      providers: [first, second],
    });
    const pending = router.send(sms());
    await vi.advanceTimersByTimeAsync(1_999);
    expect(second.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    const sent = await pending;
    expect(sent.provider).toBe('second');
    expect(sent.attempts[0]).toMatchObject({
      trigger: 'timeout',
      errorKind: 'ambiguous',
      errorCode: TIMEOUT_ERROR_CODE,
      latencyMs: 2_000,
      possibleDuplicate: true,
    });
    expect(first.calls[0]?.signal.aborted).toBe(true);
    // The next provider gets a live signal, not the aborted one.
    expect(second.calls[0]?.signal.aborted).toBe(false);
  });

  it('times out a provider that ignores its signal', async () => {
    vi.useFakeTimers();
    const first = scriptedProvider('first', { fallback: () => new Promise(() => {}) });
    const router = new Router({
      config: { routes: [{ id: 'main', providers: ['first', 'second'] }], defaults: { timeoutMs: 500 } },
      providers: [first, scriptedProvider('second')],
    });
    const pending = router.send(sms());
    await vi.advanceTimersByTimeAsync(500);
    expect((await pending).provider).toBe('second');
  });

  it('stops at once when the caller aborts, with the attempts so far', async () => {
    const controller = new AbortController();
    const first = scriptedProvider('first', { fallback: 'hang' });
    const second = scriptedProvider('second');
    const router = new Router({
      config: { routes: [{ id: 'main', providers: ['first', 'second'] }] },
      providers: [first, second],
    });
    const pending = router.send(sms(), { signal: controller.signal });
    await Promise.resolve();
    controller.abort(new Error('shutting down'));
    const error = await routingError(pending);
    expect(error.code).toBe('MSG_ERR_ROUTING_ABORTED');
    expect(error.attempts).toHaveLength(1);
    expect(second.calls).toHaveLength(0);
    await expect(router.send(sms(), { signal: controller.signal })).rejects.toMatchObject({
      code: 'MSG_ERR_ROUTING_ABORTED',
    });
  });

  it('treats a lost connection that is not a ProviderError as ambiguous', async () => {
    const { router, first } = chain();
    first.fallback = () => Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const sent = await router.send(sms());
    expect(sent.attempts[0]).toMatchObject({ errorKind: 'ambiguous', provider: 'first' });
    expect(sent.provider).toBe('second');
  });

  it('skips a provider whose bulkhead is full', async () => {
    let release: () => void = () => {};
    const first = scriptedProvider('first', {
      fallback: () =>
        new Promise((resolve) => {
          release = () => resolve({ providerMessageId: 'slow', status: 'queued' });
        }),
    });
    const second = scriptedProvider('second');
    const router = new Router({
      config: {
        routes: [{ id: 'main', providers: ['first', 'second'] }],
        providers: { first: { maxInFlight: 1 } },
      },
      providers: [first, second],
    });
    const slow = router.send(sms());
    const fast = await router.send(sms());
    expect(fast.provider).toBe('second');
    expect(fast.skipped).toEqual([{ provider: 'first', reason: 'bulkhead-full' }]);
    release();
    expect((await slow).provider).toBe('first');
  });

  it('skips a provider past its rate limit until its bucket refills', async () => {
    let now = 1_000_000;
    const first = scriptedProvider('first');
    const router = new Router({
      config: {
        routes: [{ id: 'main', providers: ['first', 'second'] }],
        providers: { first: { rateLimit: { perSecond: 2, burst: 2 } } },
      },
      providers: [first, scriptedProvider('second')],
      now: () => now,
    });
    const providers = async () => (await router.send(sms())).provider;
    expect([await providers(), await providers(), await providers()]).toEqual(['first', 'first', 'second']);
    now += 500;
    expect(await providers()).toBe('first');
    expect(await providers()).toBe('second');
  });

  it('fails the message on a skip the route does not fail over on', async () => {
    const first = scriptedProvider('first', { fallback: failure('first', 'configuration') });
    const second = scriptedProvider('second');
    const router = new Router({
      config: { routes: [{ id: 'main', providers: ['first', 'second'], failoverOn: ['configuration'] }] },
      providers: [first, second],
    });
    await router.send(sms());
    const error = await routingError(router.send(sms()));
    expect(error.code).toBe('MSG_ERR_ROUTING_FAILED');
    expect(error.skipped).toEqual([{ provider: 'first', reason: 'breaker-open' }]);
  });
});

describe('strategies', () => {
  it('splits by weight with the weighted strategy', () => {
    const draws = [0.1, 0.5, 0.9];
    let index = 0;
    const router = new Router({
      config: {
        routes: [
          {
            id: 'main',
            strategy: 'weighted',
            providers: [
              { id: 'a', weight: 1 },
              { id: 'b', weight: 3 },
            ],
          },
        ],
      },
      providers: [scriptedProvider('a'), scriptedProvider('b')],
      random: () => draws[index++ % draws.length] as number,
    });
    // Total weight 4: a draw below 0.25 picks a, anything above picks b.
    expect(router.decide(sms()).candidates).toEqual(['a', 'b']);
    expect(router.decide(sms()).candidates).toEqual(['b', 'a']);
    expect(router.decide(sms()).reason).toContain('weighted pick b (weight 3 of 4)');
  });

  it('converges on the weights over many messages', () => {
    const router = new Router({
      config: {
        routes: [
          {
            id: 'main',
            strategy: 'weighted',
            providers: [
              { id: 'a', weight: 1 },
              { id: 'b', weight: 3 },
            ],
          },
        ],
      },
      providers: [scriptedProvider('a'), scriptedProvider('b')],
    });
    let toB = 0;
    for (let index = 0; index < 4_000; index++) if (router.decide(sms()).candidates[0] === 'b') toB++;
    expect(toB / 4_000).toBeGreaterThan(0.7);
    expect(toB / 4_000).toBeLessThan(0.8);
  });

  it('prefers the healthier provider with the health strategy', async () => {
    const flaky = scriptedProvider('flaky');
    const steady = scriptedProvider('steady');
    const router = new Router({
      config: {
        routes: [{ id: 'main', strategy: 'health', providers: ['flaky', 'steady'] }],
        defaults: { retry: { maxRetries: 0 }, breaker: { failureThreshold: 100 } },
      },
      providers: [flaky, steady],
    });
    // No history: priority decides.
    expect(router.decide(sms()).candidates).toEqual(['flaky', 'steady']);
    flaky.fallback = failure('flaky', 'transient');
    for (let index = 0; index < 5; index++)
      await router.send(sms(), { override: { provider: 'flaky' } }).catch(() => {});
    const decision = router.decide(sms());
    expect(decision.candidates).toEqual(['steady', 'flaky']);
    expect(decision.reason).toMatch(/health score steady \d+(\.\d)? > flaky \d+(\.\d)?/);
  });
});
