import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  API_KEY,
  eventually,
  GATEWAY_DIRECTORY,
  gatewayPerTest,
  type TestGateway,
} from './helpers.js';

/** One slot, held by a send that takes a minute: everything after it waits in the queue. */
function stuck(backlog: { maxMessages: number; maxAgeMs?: number }) {
  return {
    plugins: [
      {
        resolve: join(GATEWAY_DIRECTORY, 'test/fixtures/slow-plugin.ts'),
        id: 'slow',
        options: { delayMs: 60_000 },
      },
    ],
    dispatch: { concurrency: 1, backlog: { maxAgeMs: 60_000, ...backlog } },
    sweeper: { intervalMs: 20, batchSize: 100 },
  };
}

const send = (gateway: TestGateway, key: string, to = '+260971234567') =>
  gateway.call('POST', '/v1/messages', { body: { to, text: 'x' }, key });

/** Sends the first message and waits until it holds the only slot, with nothing queued. */
async function holdTheSlot(gateway: TestGateway): Promise<void> {
  expect((await send(gateway, API_KEY)).status).toBe(202);
  await eventually(async () => {
    const ready = await gateway.call('GET', '/readyz', { key: null });
    return ready.body.queue.inFlight === 1 && ready.body.queue.queued === 0 ? true : undefined;
  });
}

describe('backpressure: the backlog has a bound, and the API says so', () => {
  const start = gatewayPerTest();

  it('answers 503 with Retry-After past the bound, and /readyz says backlogged', async () => {
    const gateway = await start(stuck({ maxMessages: 3 }));
    await holdTheSlot(gateway);
    for (let index = 0; index < 3; index++) expect((await send(gateway, API_KEY)).status).toBe(202);
    const refused = await send(gateway, API_KEY);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'backlogged', message: expect.stringContaining('3') });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Nothing of the refused message was stored.
    const ready = await gateway.call('GET', '/readyz', { key: null });
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'backlogged', queue: { queued: 3, inFlight: 1 } });
    expect(Number(ready.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const metrics = await gateway.call('GET', '/metrics', { key: null });
    expect(metrics.body).toContain('msg_messages_refused_total{reason="backlogged"} 1');
  });

  it('refuses a key flooding the queue (429) while another key is still served', async () => {
    const gateway = await start(stuck({ maxMessages: 6 }));
    await holdTheSlot(gateway);
    // The flood fills half the bound and more while it is the only key waiting.
    for (let index = 0; index < 4; index++) expect((await send(gateway, API_KEY)).status).toBe(202);
    expect((await send(gateway, ADMIN_KEY)).status).toBe(202);
    const flooding = await send(gateway, API_KEY);
    expect(flooding.status).toBe(429);
    expect(flooding.body.error.code).toBe('backlog_share');
    expect(Number(flooding.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Fairness refuses one key: the gateway as a whole is still ready, and the other key served.
    expect((await gateway.call('GET', '/readyz', { key: null })).status).toBe(200);
    expect((await send(gateway, ADMIN_KEY)).status).toBe(202);
  });

  it('refuses everyone once the oldest queued message is older than maxAgeMs', async () => {
    const gateway = await start(stuck({ maxMessages: 1000, maxAgeMs: 200 }));
    await holdTheSlot(gateway);
    expect((await send(gateway, API_KEY)).status).toBe(202);
    const refused = await eventually(async () => {
      const answer = await send(gateway, ADMIN_KEY);
      return answer.status === 503 ? answer : undefined;
    });
    expect(refused.body.error).toMatchObject({
      code: 'backlogged',
      message: expect.stringContaining('dispatch.backlog.maxAgeMs'),
    });
    expect((await gateway.call('GET', '/readyz', { key: null })).body.status).toBe('backlogged');
  });

  it('refuses a batch that would pass the bound, whole', async () => {
    const gateway = await start(stuck({ maxMessages: 3 }));
    await holdTheSlot(gateway);
    const batch = await gateway.call('POST', '/v1/messages/batch', {
      body: { messages: Array.from({ length: 4 }, () => ({ to: '+260971234567', text: 'x' })) },
    });
    expect(batch.status).toBe(503);
    const ready = await gateway.call('GET', '/readyz', { key: null });
    expect(ready.body.queue.queued).toBe(0);
  });
});
