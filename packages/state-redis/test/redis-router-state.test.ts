import { randomBytes } from 'node:crypto';
import type { RouterStateChange } from '@msg/core';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisRouterStateStore } from '../src/index.js';
import { dropKeys, freePort, OwnRedis } from './redis-server.js';

const REDIS_URL = process.env.MSG_TEST_REDIS_URL;
if (!REDIS_URL) console.warn('[msg] skipping the Redis router state tests: MSG_TEST_REDIS_URL is not set');

/** Resolves with the first change `store` reports that `match` accepts. */
function changeOn(store: RedisRouterStateStore, match: (change: RouterStateChange) => boolean) {
  return new Promise<RouterStateChange>((resolve) => {
    const stop = store.subscribe((change) => {
      if (!match(change)) return;
      stop();
      resolve(change);
    });
  });
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!REDIS_URL)('redis router state', () => {
  const opened: RedisRouterStateStore[] = [];
  const open = async (url = REDIS_URL as string, keyPrefix = prefix) => {
    const store = await RedisRouterStateStore.connect({ url, keyPrefix, connectTimeoutMs: 1000 });
    opened.push(store);
    return store;
  };
  let prefix = '';
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    if (prefix) await dropKeys(REDIS_URL as string, prefix);
  });
  const fresh = () => {
    prefix = `msg-test-${randomBytes(6).toString('hex')}:`;
  };

  it('spreads migration settings, halts and breakers to every instance, read synchronously there', async () => {
    fresh();
    const [first, second] = [await open(), await open()];
    const seen = changeOn(second, (change) => change.type === 'migration');
    await first.setMigration('sms-zm', { mode: 'rolled-back', percentage: 0 });
    await seen;
    expect(second.getMigration('sms-zm')).toEqual({ mode: 'rolled-back', percentage: 0 });
    const halted = changeOn(second, (change) => change.type === 'halt');
    await first.setHalted('twilio', true);
    await halted;
    expect(second.isHalted('twilio')).toBe(true);
    const breaker = changeOn(second, (change) => change.type === 'breaker');
    await first.setBreaker('twilio', { state: { open: true }, writer: 'router-a', updatedAt: 5 });
    await breaker;
    expect(second.getBreaker('twilio')).toEqual({ state: { open: true }, writer: 'router-a', updatedAt: 5 });
    // An instance that starts later reads the state as it stands.
    const third = await open();
    expect({
      migration: third.getMigration('sms-zm'),
      halted: third.isHalted('twilio'),
      breaker: third.getBreaker('twilio')?.writer,
    }).toEqual({ migration: { mode: 'rolled-back', percentage: 0 }, halted: true, breaker: 'router-a' });
  });

  it('holds a token bucket across instances: concurrent takes never exceed it', async () => {
    fresh();
    const stores = [await open(), await open(), await open()];
    const limit = { perSecond: 0.001, burst: 25 };
    const takes = await Promise.all(
      Array.from({ length: 90 }, (_item, index) => stores[index % 3]!.takeToken('rate:twilio', limit, 0)),
    );
    expect(takes.filter(Boolean)).toHaveLength(25);
    const counted = await stores[0]!.takeTokens('api-key:a', 4, { perSecond: 1, burst: 10 });
    expect(counted).toMatchObject({ taken: true });
    expect(counted!.tokens).toBeCloseTo(6, 0);
  });

  it('keeps serving its last state while Redis is down, then catches up and converges', async () => {
    fresh();
    const redis = new OwnRedis(await freePort());
    await redis.start();
    try {
      const [first, second] = [await open(redis.url), await open(redis.url)];
      const reconnected: string[] = [];
      first.onReconnect(() => {
        reconnected.push('first');
      });
      await first.setMigration('m', { mode: 'gradual', percentage: 10 });
      await until(() => second.getMigration('m')?.percentage === 10);
      await redis.stop();
      await until(() => !first.health().connected && !second.health().connected);
      expect(first.health()).toMatchObject({ connected: false });
      // Reads still answer from the copy; writes apply locally and wait; buckets are local.
      expect(second.getMigration('m')).toEqual({ mode: 'gradual', percentage: 10 });
      await first.setMigration('m', { percentage: 40 });
      expect(first.getMigration('m')?.percentage).toBe(40);
      expect(await first.takeToken('rate:x', { perSecond: 1, burst: 1 }, Date.now())).toBe(true);
      await redis.start();
      await until(() => first.health().connected && second.health().connected, 10_000);
      await until(() => second.getMigration('m')?.percentage === 40, 10_000);
      // The reconnect listeners run once the state was read again and the waiting writes went out.
      await until(() => reconnected.length > 0, 10_000);
      expect(reconnected).toEqual(['first']);
    } finally {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await redis.stop();
    }
  });

  it('tries its catch-up again when it fails on a connection that came back', async () => {
    fresh();
    const redis = new OwnRedis(await freePort());
    await redis.start();
    try {
      const store = await open(redis.url);
      await store.setMigration('m', { mode: 'gradual', percentage: 10 });
      await redis.stop();
      await until(() => !store.health().connected);
      // The first read after the reconnect fails, as a command timing out on a loaded server does.
      const client = (store as unknown as { client: { hgetall: (key: string) => Promise<unknown> } }).client;
      const hgetall = client.hgetall.bind(client);
      let failures = 1;
      client.hgetall = (key: string) =>
        failures-- > 0 ? Promise.reject(new Error('Command timed out')) : hgetall(key);
      await redis.start();
      await until(() => store.health().connected, 10_000);
      expect(failures).toBeLessThan(0);
      expect(store.getMigration('m')).toEqual({ mode: 'gradual', percentage: 10 });
    } finally {
      await Promise.all(opened.splice(0).map((item) => item.close()));
      await redis.stop();
    }
  });

  it('starts degraded when Redis cannot be reached, without failing', async () => {
    fresh();
    const store = await open(`redis://127.0.0.1:${await freePort()}`);
    expect(store.health()).toMatchObject({ connected: false });
    await store.setHalted('p', true);
    expect(store.isHalted('p')).toBe(true);
  });
});
