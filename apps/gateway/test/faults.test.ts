import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { useAcmePair } from './acme-pair.js';
import { eventually, startGateway, type TestGateway, temporaryDirectory } from './helpers.js';

describe('faults', () => {
  const { first, second, plugins } = useAcmePair();
  const running: TestGateway[] = [];

  afterEach(async () => {
    await Promise.all(running.splice(0).map((gateway) => gateway.stop()));
  });

  async function gatewayWith(raw: Record<string, unknown>, options = {}) {
    const gateway = await startGateway({ plugins: plugins(), ...raw }, options);
    running.push(gateway);
    return gateway;
  }

  it('times out a provider that hangs, then fails over to the next one', async () => {
    const gateway = await gatewayWith({
      routing: { defaults: { timeoutMs: 300 }, routes: [{ id: 'sms', providers: ['acme-a', 'acme-b'] }] },
    });
    first.faultNext({ hang: true });
    const started = Date.now();
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'x' },
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      provider: 'acme-b',
      possibleDuplicate: true,
      attempts: [
        { provider: 'acme-a', outcome: 'ambiguous', error: { kind: 'ambiguous', code: 'MSG_TIMEOUT' } },
        {
          provider: 'acme-b',
          outcome: 'succeeded',
          reason: expect.stringContaining('failover after acme-a'),
        },
      ],
    });
    const metrics = await gateway.call('GET', '/metrics', { key: null });
    expect(metrics.body).toContain('msg_failovers_total{from="acme-a",trigger="timeout"} 1');
    expect(metrics.body).toContain('msg_provider_failures_total{provider="acme-a",kind="ambiguous"} 1');
  });

  it('fails a message with the provider error when the route does not fail over on its kind', async () => {
    const gateway = await gatewayWith({
      routing: { routes: [{ id: 'sms', providers: ['acme-a', 'acme-b'] }] },
    });
    first.failNext('opted_out');
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'x' },
    });
    expect(sent.body).toMatchObject({
      status: 'failed',
      error: { kind: 'permanent', code: 'opted_out' },
      attempts: [{ provider: 'acme-a', outcome: 'failed', error: { kind: 'permanent', code: 'opted_out' } }],
    });
    expect(second.requests).toHaveLength(0);
  });

  it('answers 503 with a clear message when the store cannot be written, and writes nothing', async () => {
    const path = join(temporaryDirectory(), 'gateway.sqlite');
    await new SqliteMessageStore({ path }).close();
    const gateway = await gatewayWith({}, { store: new SqliteMessageStore({ path, readonly: true }) });
    const response = await gateway.call('POST', '/v1/messages', {
      body: { to: '+260971234567', text: 'x' },
      headers: { 'idempotency-key': 'k1' },
    });
    expect(response.status).toBe(503);
    expect(response.body.error).toMatchObject({
      code: 'store_unavailable',
      message: expect.stringContaining('nothing was stored'),
    });
    const batch = await gateway.call('POST', '/v1/messages/batch', {
      body: { messages: [{ to: '+260971234567', text: 'x' }] },
    });
    expect(batch.status).toBe(503);
    const check = new SqliteMessageStore({ path });
    expect(await check.countByDispatchState()).toEqual({ queued: 0, 'in-flight': 0, waiting: 0, done: 0 });
    await check.close();
    expect(first.requests).toHaveLength(0);
  });

  describe('shutdown and restart', () => {
    it('drains sends in flight on stop', async () => {
      const path = join(temporaryDirectory(), 'gateway.sqlite');
      const gateway = await startGateway({ plugins: plugins(), store: { driver: 'sqlite', path } });
      first.setFaults({ latencyMs: 300 });
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        ids.push(
          (await gateway.call('POST', '/v1/messages', { body: { to: `+26097123456${index}`, text: 'x' } }))
            .body.id,
        );
      }
      // Stop while all five are at the (slow) provider.
      await eventually(async () => {
        const ready = await gateway.call('GET', '/readyz', { key: null });
        return ready.body.queue.inFlight === 5 ? true : undefined;
      });
      await gateway.gateway.stop({ timeoutMs: 5000 });
      const store = new SqliteMessageStore({ path });
      for (const id of ids) expect((await store.get(id))?.dispatchState).toBe('done');
      await store.close();
    });

    it('cuts sends short at the bound, and the next start resolves them by the route rule', async () => {
      const path = join(temporaryDirectory(), 'gateway.sqlite');
      const store = { driver: 'sqlite', path };
      const strict = await startGateway({
        plugins: plugins(),
        store,
        routing: {
          routes: [{ id: 'sms', providers: ['acme-a', 'acme-b'], failoverOn: ['transient', 'timeout'] }],
        },
      });
      first.faultNext({ hang: true }, 2);
      const a = (await strict.call('POST', '/v1/messages', { body: { to: '+260971234560', text: 'x' } })).body
        .id;
      await eventually(async () => (first.requests.length >= 1 ? true : undefined));
      const stoppedAt = Date.now();
      await strict.gateway.stop({ timeoutMs: 200 });
      expect(Date.now() - stoppedAt).toBeLessThan(2500);

      // The route does not fail over on `ambiguous`: the message fails, explicitly.
      const restarted = await gatewayWith({
        store,
        routing: {
          routes: [{ id: 'sms', providers: ['acme-a', 'acme-b'], failoverOn: ['transient', 'timeout'] }],
        },
      });
      const failed = await restarted.call('GET', `/v1/messages/${a}`);
      expect(failed.body).toMatchObject({
        status: 'failed',
        dispatch: 'done',
        error: { kind: 'ambiguous', code: 'MSG_RESTART_IN_FLIGHT' },
        attempts: [{ provider: 'acme-a', outcome: 'ambiguous' }],
      });
      const b = (await restarted.call('POST', '/v1/messages', { body: { to: '+260971234561', text: 'y' } }))
        .body.id;
      await eventually(async () => (first.requests.length >= 2 ? true : undefined));
      await restarted.gateway.stop({ timeoutMs: 200 });
      running.splice(0);

      // The default route fails over on `ambiguous`: re-dispatched, flagged as a possible duplicate.
      const lenient = await gatewayWith({
        store,
        routing: { routes: [{ id: 'sms', providers: ['acme-a', 'acme-b'] }] },
      });
      const redone = await eventually(async () => {
        const read = await lenient.call('GET', `/v1/messages/${b}`);
        return read.body.status === 'delivered' ? read.body : undefined;
      });
      expect(redone).toMatchObject({
        status: 'delivered',
        possibleDuplicate: true,
        attempts: [
          { number: 1, provider: 'acme-a', outcome: 'ambiguous', possibleDuplicate: true },
          { number: 2, outcome: 'succeeded' },
        ],
      });
    });
  });
});
