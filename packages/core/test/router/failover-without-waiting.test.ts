import { describe, expect, it } from 'vitest';
import { validateRouterConfig } from '../../src/router/config.js';
import { Router } from '../../src/router/router.js';
import { failure, recordingSleep, scriptedProvider, sms } from './helpers.js';

function setup(providers = ['first', 'second'], retry = { maxRetries: 2, initialDelayMs: 100 }) {
  const scripted = providers.map((id) => scriptedProvider(id));
  const { sleep, delays } = recordingSleep();
  const router = new Router({
    config: {
      routes: [{ id: 'main', providers }],
      defaults: { retry, breaker: { failureThreshold: 50 } },
    },
    providers: scripted,
    sleep,
    random: () => 1,
    // Time stands still: a wait is the whole backoff, never less by the milliseconds a test takes.
    now: () => 1_000_000,
  });
  return { router, scripted, delays };
}

describe('failover without waiting (the default, retries: after-failover)', () => {
  it('moves a transient failure to the next provider at once, without a backoff', async () => {
    const { router, scripted, delays } = setup();
    scripted[0]!.script = [failure('first', 'transient')];
    const sent = await router.send(sms());
    expect(sent.attempts.map((attempt) => [attempt.provider, attempt.retry])).toEqual([
      ['first', 0],
      ['second', 0],
    ]);
    expect(delays).toEqual([]);
  });

  it('retries a failed provider only once no other is left, after its backoff', async () => {
    const { router, scripted, delays } = setup();
    scripted[0]!.script = [failure('first', 'transient')];
    scripted[1]!.script = [failure('second', 'configuration')];
    const sent = await router.send(sms());
    expect(sent.attempts.map((attempt) => [attempt.provider, attempt.retry])).toEqual([
      ['first', 0],
      ['second', 0],
      ['first', 1],
    ]);
    expect(delays).toEqual([100]);
  });

  it('takes turns between providers that may recover, each within its own retries', async () => {
    const { router, scripted } = setup(['first', 'second'], { maxRetries: 1, initialDelayMs: 100 });
    scripted[0]!.fallback = failure('first', 'transient');
    scripted[1]!.script = [failure('second', 'transient')];
    const sent = await router.send(sms());
    expect(sent.attempts.map((attempt) => [attempt.provider, attempt.retry])).toEqual([
      ['first', 0],
      ['second', 0],
      ['first', 1],
      ['second', 1],
    ]);
    expect(sent.provider).toBe('second');
  });

  it('retries in place on a single-provider route, as its policy says', async () => {
    const { router, scripted, delays } = setup(['only']);
    scripted[0]!.script = [failure('only', 'transient'), failure('only', 'transient')];
    const sent = await router.send(sms());
    expect(sent.attempts.map((attempt) => attempt.retry)).toEqual([0, 1, 2]);
    expect(delays).toEqual([100, 200]);
  });

  it('retries in place when the route does not fail over on the failure', async () => {
    const first = scriptedProvider('first', {
      script: [failure('first', 'transient'), failure('first', 'transient')],
    });
    const second = scriptedProvider('second');
    const { sleep, delays } = recordingSleep();
    const router = new Router({
      config: {
        routes: [{ id: 'main', providers: ['first', 'second'], failoverOn: ['configuration'] }],
        defaults: { retry: { maxRetries: 2, initialDelayMs: 100 } },
      },
      providers: [first, second],
      sleep,
      random: () => 1,
    });
    const sent = await router.send(sms());
    expect(sent.provider).toBe('first');
    expect(delays).toEqual([100, 200]);
    expect(second.calls).toHaveLength(0);
  });

  it('fails with every attempt once no provider has retries left', async () => {
    const { router, scripted } = setup(['first', 'second'], { maxRetries: 1, initialDelayMs: 100 });
    scripted[0]!.fallback = failure('first', 'transient');
    scripted[1]!.fallback = failure('second', 'transient');
    await expect(router.send(sms())).rejects.toMatchObject({
      code: 'MSG_ERR_ROUTING_EXHAUSTED',
      attempts: [
        { provider: 'first' },
        { provider: 'second' },
        { provider: 'first' },
        { provider: 'second' },
      ],
    });
  });

  it('counts a hung provider once per message, at its timeout, and opens its breaker on timeouts', async () => {
    const hung = scriptedProvider('hung', { fallback: 'hang' });
    const backup = scriptedProvider('backup');
    const router = new Router({
      config: {
        routes: [{ id: 'main', providers: ['hung', 'backup'] }],
        providers: { hung: { timeoutMs: 20, breaker: { failureThreshold: 3 } } },
      },
      providers: [hung, backup],
    });
    for (let index = 0; index < 3; index++) {
      const sent = await router.send(sms());
      expect(sent.provider).toBe('backup');
      expect(sent.attempts.map((attempt) => [attempt.provider, attempt.trigger ?? 'ok'])).toEqual([
        ['hung', 'timeout'],
        ['backup', 'ok'],
      ]);
    }
    expect(hung.calls).toHaveLength(3);
    expect(router.status().providers.find((provider) => provider.id === 'hung')?.breaker).toBe('open');
    const skipped = await router.send(sms());
    expect(skipped.skipped).toEqual([{ provider: 'hung', reason: 'breaker-open' }]);
    expect(hung.calls).toHaveLength(3);
  });

  it('refuses an unknown retry order in the route config, naming the field', () => {
    expect(() =>
      validateRouterConfig({ routes: [{ id: 'main', providers: ['first'], retries: 'never' }] }),
    ).toThrow(/routes\.0\.retries: must be one of after-failover, before-failover, got "never"/);
  });
});
