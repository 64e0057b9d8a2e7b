import { describe, expect, it } from 'vitest';
import type { RouterEvent } from '../../src/router/events.js';
import { RouterEvents } from '../../src/router/events.js';
import { Router } from '../../src/router/router.js';
import { MemoryRouterStateStore } from '../../src/router/state.js';
import { failure, recordingSleep, scriptedProvider, sms } from './helpers.js';

describe('router events', () => {
  function setup(onListenerError?: (error: unknown) => void) {
    const first = scriptedProvider('first');
    const second = scriptedProvider('second');
    const { sleep } = recordingSleep();
    const router = new Router({
      config: {
        routes: [
          {
            id: 'main',
            providers: ['first', 'second'],
            migration: { id: 'move', from: ['first'], to: ['second'], percentage: 0 },
            // Retries first, so that one message shows a retry, then the failover.
            retries: 'before-failover',
          },
        ],
        defaults: { retry: { maxRetries: 1, initialDelayMs: 10 } },
      },
      providers: [first, second],
      sleep,
      random: () => 0,
      ...(onListenerError ? { onListenerError } : {}),
    });
    return { router, first, second };
  }

  it('reports attempts, retries, failover and the rollout decision, in order', async () => {
    const { router, first } = setup();
    first.fallback = failure('first', 'transient');
    const events: RouterEvent[] = [];
    router.events.onAny((event) => events.push(event));
    const message = sms();
    await router.send(message);
    expect(events.map((event) => event.type)).toEqual([
      'rollout-decision',
      'attempt-started',
      'attempt-failed',
      'attempt-started',
      'attempt-failed',
      'failover',
      'attempt-started',
      'attempt-succeeded',
    ]);
    expect(events[0]).toMatchObject({ messageId: message.id, route: 'main', side: 'from' });
    expect(events[2]).toMatchObject({ provider: 'first', retryInMs: 5, attempt: { trigger: 'transient' } });
    expect(events[4]).toMatchObject({ retryInMs: undefined });
    expect(events[5]).toEqual({
      type: 'failover',
      messageId: message.id,
      from: 'first',
      trigger: 'transient',
      skipped: false,
    });
    expect(events[7]).toMatchObject({ provider: 'second', attempt: { outcome: 'succeeded', number: 3 } });
  });

  it('delivers one type to its listeners only, until they stop listening', async () => {
    const { router } = setup();
    const started: string[] = [];
    const stop = router.on('attempt-started', (event) => started.push(event.provider));
    await router.send(sms());
    stop();
    await router.send(sms());
    expect(started).toEqual(['first']);
  });

  it('never fails a message because a listener threw', async () => {
    const errors: unknown[] = [];
    const { router } = setup((error) => errors.push(error));
    router.on('attempt-started', () => {
      throw new Error('metrics backend down');
    });
    expect((await router.send(sms())).provider).toBe('first');
    expect(errors).toEqual([new Error('metrics backend down')]);
  });

  it('tells whether a type has listeners, so callers can skip building the event', () => {
    const events = new RouterEvents();
    expect(events.has('failover')).toBe(false);
    const stop = events.on('failover', () => {});
    expect(events.has('failover')).toBe(true);
    expect(events.has('attempt-started')).toBe(false);
    stop();
    expect(events.has('failover')).toBe(false);
    events.onAny(() => {});
    expect(events.has('attempt-started')).toBe(true);
  });

  it('reports a failing state store write as an event, without failing the message', async () => {
    class FailingStore extends MemoryRouterStateStore {
      override setBreaker(): Promise<void> {
        return Promise.reject(new Error('redis down'));
      }
    }
    const flaky = scriptedProvider('flaky', { fallback: failure('flaky', 'configuration') });
    const router = new Router({
      config: { routes: [{ id: 'main', providers: ['flaky', 'backup'] }] },
      providers: [flaky, scriptedProvider('backup')],
      store: new FailingStore(),
    });
    const reported: unknown[] = [];
    router.on('state-store-error', (event) => reported.push([event.operation, event.error]));
    expect((await router.send(sms())).provider).toBe('backup');
    await Promise.resolve();
    expect(reported).toEqual([['setBreaker', new Error('redis down')]]);
  });
});
