import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAcmePair } from './acme-pair.js';
import { eventually, gatewayPerTest, type TestGateway, temporaryDirectory } from './helpers.js';

describe('retry rounds: a message whose every provider failed for a reason that may pass', () => {
  const { first, second, plugins } = useAcmePair();
  const startGateway = gatewayPerTest();

  function gatewayWith(retryRounds: Record<string, unknown>, raw: Record<string, unknown> = {}) {
    return startGateway({
      plugins: plugins(),
      routing: {
        defaults: { retry: { maxRetries: 0 } },
        routes: [{ id: 'sms', providers: ['acme-a', 'acme-b'] }],
      },
      dispatch: { retryRounds },
      sweeper: { intervalMs: 20 },
      ...raw,
    });
  }

  const delivered = (gateway: TestGateway, id: string) =>
    eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    });

  it('waits in the store and sends again later, each round visible in its attempts', async () => {
    const gateway = await gatewayWith({ initialBackoffMs: 300, maxBackoffMs: 1000 });
    first.failNext('unavailable');
    second.failNext('unavailable');
    const started = Date.now();
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971600001', text: 'x' },
    });
    expect(sent.body).toMatchObject({
      status: 'queued',
      dispatch: 'waiting',
      retryRounds: 1,
      nextAttemptAt: expect.any(String),
      attempts: [
        { number: 1, provider: 'acme-a', outcome: 'failed', error: { kind: 'transient' } },
        { number: 2, provider: 'acme-b', outcome: 'failed', error: { kind: 'transient' } },
      ],
    });
    // Half to all of the first backoff (300 ms) after the round failed, with jitter.
    const due = Date.parse(sent.body.nextAttemptAt) - started;
    expect(due).toBeGreaterThanOrEqual(150);
    expect(due).toBeLessThanOrEqual(Date.now() - started + 300);
    const message = await delivered(gateway, sent.body.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(message).toMatchObject({
      dispatch: 'done',
      provider: 'acme-a',
      retryRounds: 1,
      attempts: [
        { number: 1, reason: 'first choice' },
        { number: 2, reason: 'failover after acme-a: transient' },
        {
          number: 3,
          provider: 'acme-a',
          outcome: 'succeeded',
          reason: 'retry round 2 after acme-a: transient, acme-b: transient',
        },
      ],
    });
    expect(message.nextAttemptAt).toBeUndefined();
    const metrics = (await gateway.call('GET', '/metrics', { key: null })).body as string;
    expect(metrics).toContain('msg_retry_rounds_total{outcome="scheduled"} 1');
  });

  it('fails at the configured age, naming the rounds', async () => {
    const gateway = await gatewayWith({ initialBackoffMs: 100, maxBackoffMs: 100, maxAgeMs: 450 });
    first.setFaults({ errorRate: 1, error: 'unavailable' });
    second.setFaults({ errorRate: 1, error: 'unavailable' });
    const sent = await gateway.call('POST', '/v1/messages', { body: { to: '+260971600002', text: 'x' } });
    const failed = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
      return read.body.status === 'failed' ? read.body : undefined;
    });
    expect(failed.dispatch).toBe('done');
    expect(failed.error.message).toMatch(/gave up after \d+ rounds: the next would start past/);
    const rounds = failed.retryRounds as number;
    expect(rounds).toBeGreaterThanOrEqual(1);
    // Numbered on from round to round (a late round may be all skips, once the breakers open).
    const numbers = failed.attempts.map((attempt: { number: number }) => attempt.number);
    expect(numbers.length).toBeGreaterThanOrEqual(4);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, index) => index + 1));
    expect(failed.attempts[2].reason).toBe('retry round 2 after acme-a: transient, acme-b: transient');
    expect(failed.attempts[3].reason).toBe('retry round 2: failover after acme-a: transient');
  });

  it('fails at once what time does not mend: a permanent refusal, configuration errors alone', async () => {
    const gateway = await gatewayWith({ initialBackoffMs: 100 });
    first.failNext('unavailable');
    second.failNext('opted_out');
    const permanent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971600004', text: 'x' },
    });
    expect(permanent.body).toMatchObject({
      status: 'failed',
      dispatch: 'done',
      error: { kind: 'permanent' },
    });
    first.failNext('unauthorized');
    second.failNext('unauthorized');
    const configuration = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971600003', text: 'x' },
    });
    expect(configuration.body).toMatchObject({
      status: 'failed',
      dispatch: 'done',
      error: { kind: 'configuration' },
    });
    expect(configuration.body.retryRounds).toBeUndefined();
  });

  it("never starts a round sooner than a provider's Retry-After", async () => {
    const gateway = await gatewayWith({ initialBackoffMs: 100, maxBackoffMs: 100 });
    // Acme's rate limit answers Retry-After: 3.
    first.failNext('rate_limited');
    second.failNext('rate_limited');
    const before = Date.now();
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971600006', text: 'x' },
    });
    expect(sent.body.dispatch).toBe('waiting');
    expect(Date.parse(sent.body.nextAttemptAt) - before).toBeGreaterThanOrEqual(3000);
  });

  it('keeps the next round in the store across a restart', async () => {
    const store = { driver: 'sqlite', path: join(temporaryDirectory(), 'gateway.sqlite') };
    const before = await gatewayWith({ initialBackoffMs: 600, maxBackoffMs: 600 }, { store });
    first.failNext('unavailable');
    second.failNext('unavailable');
    const sent = await before.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971600005', text: 'x' },
    });
    expect(sent.body.dispatch).toBe('waiting');
    await before.gateway.stop({ timeoutMs: 1000 });

    const after = await gatewayWith({ initialBackoffMs: 600, maxBackoffMs: 600 }, { store });
    const message = await delivered(after, sent.body.id);
    expect(message.attempts.map((attempt: { number: number; outcome: string }) => attempt.outcome)).toEqual([
      'failed',
      'failed',
      'succeeded',
    ]);
    expect(Date.parse(message.attempts[2].startedAt)).toBeGreaterThanOrEqual(
      Date.parse(sent.body.nextAttemptAt),
    );
  });
});
