import { describe, expect, it } from 'vitest';
import { Router } from '../../src/router/router.js';
import { failure, recordingSleep, scriptedProvider, sms } from './helpers.js';

function setup(options: { random?: () => number; maxRetries?: number; maxDelayMs?: number } = {}) {
  const first = scriptedProvider('first');
  const second = scriptedProvider('second');
  const { sleep, delays } = recordingSleep();
  const router = new Router({
    config: {
      // These tests are about retries on one provider: the route retries before it fails over.
      routes: [{ id: 'main', providers: ['first', 'second'], retries: 'before-failover' }],
      defaults: {
        retry: {
          maxRetries: options.maxRetries ?? 3,
          initialDelayMs: 100,
          maxDelayMs: options.maxDelayMs ?? 1_000,
        },
        breaker: { failureThreshold: 50 },
      },
    },
    providers: [first, second],
    sleep,
    random: options.random ?? (() => 0.5),
  });
  return { router, first, second, delays };
}

describe('retries before failover (retries: before-failover)', () => {
  it('retries a transient error on the same provider with exponential backoff', async () => {
    const { router, first, second, delays } = setup({ random: () => 1 });
    first.script = [
      failure('first', 'transient'),
      failure('first', 'transient'),
      failure('first', 'transient'),
    ];
    const sent = await router.send(sms());
    expect(sent.provider).toBe('first');
    expect(sent.attempts.map((attempt) => [attempt.provider, attempt.retry])).toEqual([
      ['first', 0],
      ['first', 1],
      ['first', 2],
      ['first', 3],
    ]);
    expect(delays).toEqual([100, 200, 400]);
    expect(second.calls).toHaveLength(0);
  });

  it('jitters each delay between half and all of the backoff step', async () => {
    const low = setup({ random: () => 0 });
    low.first.script = [failure('first', 'transient'), failure('first', 'transient')];
    await low.router.send(sms());
    expect(low.delays).toEqual([50, 100]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const { router, first, delays } = setup({ random: () => 1, maxRetries: 5, maxDelayMs: 300 });
    first.script = Array.from({ length: 5 }, () => failure('first', 'transient'));
    await router.send(sms());
    expect(delays).toEqual([100, 200, 300, 300, 300]);
  });

  it('honours retry-after on a rate-limited answer', async () => {
    const { router, first, delays } = setup({ random: () => 0 });
    first.script = [failure('first', 'rate-limited', { retryAfterMs: 700 })];
    const sent = await router.send(sms());
    expect(delays).toEqual([700]);
    expect(sent.attempts.map((attempt) => attempt.provider)).toEqual(['first', 'first']);
  });

  it('moves to the next provider rather than wait a retry-after longer than maxDelayMs', async () => {
    const { router, first, delays } = setup();
    first.script = [failure('first', 'rate-limited', { retryAfterMs: 60_000 })];
    const sent = await router.send(sms());
    expect(delays).toEqual([]);
    expect(sent.provider).toBe('second');
  });

  it('never retries permanent, configuration or ambiguous errors on the same provider', async () => {
    for (const kind of ['configuration', 'ambiguous'] as const) {
      const { router, first, delays } = setup();
      first.script = [failure('first', kind)];
      const sent = await router.send(sms());
      expect(sent.attempts.map((attempt) => attempt.provider)).toEqual(['first', 'second']);
      expect(delays).toEqual([]);
    }
    const { router, first, delays } = setup();
    first.script = [failure('first', 'permanent')];
    await expect(router.send(sms())).rejects.toMatchObject({ code: 'MSG_ERR_ROUTING_FAILED' });
    expect(delays).toEqual([]);
    expect(first.calls).toHaveLength(1);
  });

  it('fails over once the retries are used up', async () => {
    const { router, first, second } = setup({ maxRetries: 2 });
    first.fallback = failure('first', 'transient');
    const sent = await router.send(sms());
    expect(first.calls).toHaveLength(3);
    expect(second.calls).toHaveLength(1);
    expect(sent.provider).toBe('second');
  });

  it('sends every retry of one message with the same message to the same provider', async () => {
    const { router, first } = setup();
    first.script = [failure('first', 'transient'), failure('first', 'transient')];
    const message = sms();
    await router.send(message);
    expect(first.calls.map((call) => call.message)).toEqual([message, message, message]);
  });

  it('stops retrying when the breaker opens under the retries', async () => {
    const first = scriptedProvider('first', { fallback: failure('first', 'transient') });
    const second = scriptedProvider('second');
    const { sleep } = recordingSleep();
    const router = new Router({
      config: {
        routes: [{ id: 'main', providers: ['first', 'second'], retries: 'before-failover' }],
        defaults: { retry: { maxRetries: 5 }, breaker: { failureThreshold: 2 } },
      },
      providers: [first, second],
      sleep,
    });
    const sent = await router.send(sms());
    expect(first.calls).toHaveLength(2);
    expect(sent.provider).toBe('second');
    // It left `first` because of its own failures, not because it skipped it.
    expect(sent.skipped).toEqual([]);
  });

  it('uses a real timer to wait by default, and the caller can abort the wait', async () => {
    const first = scriptedProvider('first', { script: [failure('first', 'transient')] });
    const router = new Router({
      config: {
        routes: [{ id: 'main', providers: ['first'] }],
        defaults: { retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 } },
      },
      providers: [first],
    });
    const controller = new AbortController();
    const pending = router.send(sms(), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'MSG_ERR_ROUTING_ABORTED' });
    expect(first.calls).toHaveLength(1);
  });
});
