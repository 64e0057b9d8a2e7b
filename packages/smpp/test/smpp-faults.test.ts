import type { ProviderError } from '@msg/core';
import { describe, expect, it } from 'vitest';
import type { SmppSessionEvents } from '../src/index.js';
import { openSession, rejectionOf, startSimulator, waitFor } from './helpers.js';

function message(index: number) {
  return { to: `2609710${String(index).padStart(5, '0')}`, from: 'MSG', text: `message ${index}` };
}

describe('connection drop', () => {
  it('resolves every in-flight submit of a full window as ambiguous, loses none, and rebinds by itself', async () => {
    const simulator = await startSimulator({ responseDelayMs: 100 });
    const session = openSession(simulator, { windowSize: 10 });
    const events: string[] = [];
    session.on('unbound', () => events.push('unbound'));
    session.on('reconnecting', (event) => events.push(`reconnecting:${event.attempt}`));
    session.on('bound', () => events.push('bound'));
    await session.connect();
    // The 10th submit (the window is full by then) makes the SMSC drop the connection.
    simulator.setFaults({ dropAfterSubmits: 10 });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, index) => session.submit(message(index))),
    );

    const ambiguous = results.filter(
      (result) => result.status === 'rejected' && (result.reason as ProviderError).kind === 'ambiguous',
    );
    const delivered = results.filter((result) => result.status === 'fulfilled');
    expect(ambiguous).toHaveLength(10);
    expect(delivered).toHaveLength(20);
    expect(ambiguous.length + delivered.length).toBe(30);
    for (const result of ambiguous) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ providerCode: 'CONNECTION_LOST' });
    }
    // The ambiguous ones are exactly the ten the SMSC saw before the drop; the others went after the rebind.
    const beforeDrop = simulator.submits.slice(0, 10).map((submit) => submit.destinationAddr);
    const ambiguousIndexes = results.flatMap((result, index) =>
      result.status === 'rejected' ? [index] : [],
    );
    expect(ambiguousIndexes.map((index) => message(index).to).sort()).toEqual(beforeDrop.sort());
    expect(simulator.submits.slice(10).every((submit) => submit.messageId !== undefined)).toBe(true);

    expect(session.state).toBe('bound');
    expect(simulator.binds.filter((bind) => bind.credential === 'esme')).toHaveLength(2);
    expect(events).toEqual(['bound', 'unbound', 'reconnecting:1', 'bound']);
  });

  it('keeps queued submits waiting through a drop until the rebind', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator, { reconnect: { initialDelayMs: 150, maxDelayMs: 150 } });
    await session.connect();
    simulator.dropConnections();
    await waitFor(() => session.state === 'reconnecting');
    const result = await session.submit(message(1));
    expect(result.messageIds).toHaveLength(1);
    expect(session.state).toBe('bound');
  });

  it('fails queued submits transient when the rebind takes longer than the queue timeout', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator, {
      queueTimeoutMs: 100,
      reconnect: { initialDelayMs: 1000, maxDelayMs: 1000 },
    });
    await session.connect();
    simulator.dropConnections();
    await waitFor(() => session.state === 'reconnecting');
    const error = await rejectionOf(session.submit(message(1)));
    expect(error).toMatchObject({ kind: 'transient', providerCode: 'QUEUE_TIMEOUT' });
  });

  it('fails queued submits with the configuration error when the rebind is refused, and keeps trying', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator, { reconnect: { initialDelayMs: 30, maxDelayMs: 60 } });
    await session.connect();
    simulator.setFaults({ bindStatus: 0x0e });
    simulator.dropConnections();
    await waitFor(() => session.state === 'reconnecting');
    const error = await rejectionOf(session.submit(message(1)));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: '0x0000000E' });
    simulator.setFaults({});
    await waitFor(() => session.state === 'bound');
    await expect(session.submit(message(2))).resolves.toMatchObject({ segments: 1 });
  });
});

describe('throttling', () => {
  it('slows the sender on ESME_RTHROTTLED and re-submits, so no error reaches the caller', async () => {
    const simulator = await startSimulator();
    simulator.setFaults({ throttleEveryNth: 4 });
    const session = openSession(simulator, {
      windowSize: 5,
      throttleRetry: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    const throttled: Array<SmppSessionEvents['throttled']> = [];
    session.on('throttled', (event) => throttled.push(event));
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => session.submit(message(index))),
    );
    expect(results).toHaveLength(20);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]).toEqual({ providerCode: '0x00000058', delayMs: 50 });
    // Throttled submits were sent again: more submit_sm than messages, each message accepted once.
    const accepted = simulator.submits.filter((submit) => submit.messageId !== undefined);
    expect(accepted).toHaveLength(20);
    expect(new Set(accepted.map((submit) => submit.destinationAddr)).size).toBe(20);
    expect(simulator.submits.length).toBeGreaterThan(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('treats ESME_RMSGQFUL like throttling and follows a rate-limited SMSC', async () => {
    const simulator = await startSimulator();
    simulator.setFaults({ maxSubmitsPerSecond: 20, throttleStatus: 0x14 });
    const session = openSession(simulator, {
      windowSize: 10,
      throttleRetry: { initialDelayMs: 100, maxDelayMs: 400, maxRetries: 10 },
    });
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) => session.submit(message(index))),
    );
    expect(results).toHaveLength(30);
    // 20 per second: the last 10 can only be accepted after the first second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('gives up after the retry budget with rate-limited and a retry-after', async () => {
    const simulator = await startSimulator();
    simulator.setFaults({ throttleEveryNth: 1 });
    const session = openSession(simulator, {
      throttleRetry: { initialDelayMs: 10, maxDelayMs: 40, maxRetries: 2 },
    });
    const error = await rejectionOf(session.submit(message(1)));
    expect(error).toMatchObject({ kind: 'rate-limited', providerCode: '0x00000058' });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(simulator.submits).toHaveLength(3);
  });

  it('keeps to messagesPerSecond with a token bucket', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator, { messagesPerSecond: 50, burst: 1 });
    await session.connect();
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, (_, index) => session.submit(message(index))));
    // 20 messages at 50/s with no burst: at least 19 intervals of 20 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(370);
  });
});

describe('keep-alive and shutdown', () => {
  it('sends enquire_link when idle, so an SMSC with an inactivity timeout keeps the session', async () => {
    const simulator = await startSimulator({ inactivityTimeoutMs: 250 });
    const session = openSession(simulator, { enquireLinkIntervalMs: 100 });
    await session.connect();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(simulator.enquireLinks).toBeGreaterThanOrEqual(4);
    expect(simulator.inactivityCloses).toBe(0);
    expect(session.state).toBe('bound');
    expect(simulator.binds).toHaveLength(1);
    await expect(session.submit(message(1))).resolves.toBeDefined();
  });

  it('loses the session to the inactivity timeout without enquire_link (the control case), then rebinds', async () => {
    const simulator = await startSimulator({ inactivityTimeoutMs: 150 });
    const session = openSession(simulator, { enquireLinkIntervalMs: 0 });
    await session.connect();
    await waitFor(() => simulator.inactivityCloses >= 1);
    await waitFor(() => session.state === 'bound' && simulator.binds.length >= 2);
  });

  it('answers the SMSC enquire_link', async () => {
    const simulator = await startSimulator();
    const session = openSession(simulator);
    await session.connect();
    expect(await simulator.enquireLink()).toBe(1);
  });

  it('close() waits for in-flight responses, fails the unsent, and unbinds', async () => {
    const simulator = await startSimulator({ responseDelayMs: 100 });
    const session = openSession(simulator, { windowSize: 1 });
    await session.connect();
    const first = session.submit(message(1));
    const second = rejectionOf(session.submit(message(2)));
    await waitFor(() => simulator.submits.length === 1);
    await session.close({ timeoutMs: 1000 });
    await expect(first).resolves.toMatchObject({ segments: 1 });
    expect(await second).toMatchObject({ kind: 'transient', providerCode: 'SESSION_CLOSED' });
    expect(simulator.unbinds).toBe(1);
    expect(session.state).toBe('closed');
    expect(await rejectionOf(session.submit(message(3)))).toMatchObject({ providerCode: 'SESSION_CLOSED' });
  });

  it('close() is bounded: a submit with no answer is resolved ambiguous', async () => {
    const simulator = await startSimulator();
    simulator.setFaults({ swallowSubmits: true });
    const session = openSession(simulator, { responseTimeoutMs: 10_000 });
    const pending = rejectionOf(session.submit(message(1)));
    await waitFor(() => simulator.submits.length === 1);
    const started = Date.now();
    await session.close({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toMatchObject({ kind: 'ambiguous', providerCode: 'CONNECTION_LOST' });
  });
});
