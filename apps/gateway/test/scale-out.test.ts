import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { dropKeys, freePort, OwnRedis } from '../../../packages/state-redis/test/redis-server.js';
import type { MessageStore } from '../src/store/message-store.js';
import { API_KEY, startChild, startGateway } from './helpers.js';
import { dropSchema, openTestStore, POSTGRES_URL } from './postgres.js';
import {
  type CountingSimulator,
  call,
  countingSimulator,
  fleet,
  fleetConfig,
  REDIS_URL,
  SCALE_OUT_KEY,
  sendThrough,
  until,
} from './scale-out.js';

const ready = Boolean(POSTGRES_URL && REDIS_URL);
if (!ready) {
  console.warn(
    '[msg] skipping the scale-out tests: MSG_TEST_POSTGRES_URL and MSG_TEST_REDIS_URL are both needed',
  );
}

/**
 * Every accepted message ended delivered or explicitly failed, and the simulator received each
 * once, except messages whose extra sends are attempts flagged as possible duplicates.
 */
async function expectEachSentOnce(
  store: MessageStore,
  accepted: readonly string[],
  simulator: CountingSimulator,
) {
  const unsettled: string[] = [];
  const unflagged: string[] = [];
  for (const id of accepted) {
    const message = await store.get(id);
    if (message?.dispatchState !== 'done' || !['delivered', 'failed'].includes(message.status)) {
      unsettled.push(`${id}: ${message?.dispatchState}/${message?.status}`);
      continue;
    }
    const sends = simulator.counts.get(id) ?? 0;
    if (sends > 1) {
      const flagged = (await store.attempts(id)).filter((attempt) => attempt.possibleDuplicate).length;
      if (flagged < sends - 1) unflagged.push(`${id}: ${sends} sends, ${flagged} flagged`);
    }
  }
  expect({ unsettled, unflagged }).toEqual({ unsettled: [], unflagged: [] });
}

describe.skipIf(!ready)('scale-out: three gateway processes on one PostgreSQL and one Redis', () => {
  const children: ChildProcess[] = [];
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function startFleet(delayMs: number, dispatch: Record<string, unknown> = {}, redisUrl?: string) {
    const shared = { ...fleet(), redisUrl };
    const simulator = await countingSimulator(delayMs);
    cleanup.push(() => simulator.close());
    cleanup.push(() => dropSchema(shared.schema));
    if (!redisUrl) cleanup.push(() => dropKeys(REDIS_URL as string, shared.keyPrefix));
    const config = fleetConfig(shared, simulator.url, dispatch);
    // Started together: the schema migrations and the leases must not race.
    const instances = await Promise.all([startChild(config), startChild(config), startChild(config)]);
    children.push(...instances.map((instance) => instance.process));
    const store = await openTestStore({ schema: shared.schema, drop: false });
    cleanup.push(() => store.close());
    return { instances, simulator, store };
  }

  const settled = (store: MessageStore, accepted: readonly string[]) =>
    until(
      async () => {
        const counts = await store.countByDispatchState();
        return counts.done >= accepted.length && counts.queued + counts['in-flight'] + counts.waiting === 0;
      },
      60_000,
      'every accepted message to finish',
    );

  it('delivers every accepted message once, whichever instance took it', async () => {
    const { instances, simulator, store } = await startFleet(5);
    const accepted = await sendThrough(() => instances.map((instance) => instance.url), 300, 24);
    expect(accepted.length).toBe(300);
    await settled(store, accepted);
    await expectEachSentOnce(store, accepted, simulator);
    expect([...simulator.counts.values()].every((count) => count === 1)).toBe(true);
  }, 120_000);

  it("recovers a killed instance's in-flight messages on the others after its lease", async () => {
    const leaseMs = 2000;
    const { instances, simulator, store } = await startFleet(150, { leaseMs });
    const [victim, ...survivors] = instances;
    let killedAt = 0;
    const accepted = await sendThrough(
      () => (killedAt ? survivors : instances).map((instance) => instance.url),
      300,
      24,
      (_id, total) => {
        if (total === 120 && !killedAt) {
          killedAt = Date.now();
          victim.process.kill('SIGKILL');
        }
      },
    );
    expect(killedAt).toBeGreaterThan(0);
    await settled(store, accepted);
    await expectEachSentOnce(store, accepted, simulator);
    // Some of the victim's messages were in flight when it died: resolved by another instance by
    // the restart rule (re-sent flagged as possible duplicates, or failed as ambiguous).
    let recovered = 0;
    for (const id of accepted) {
      const attempts = await store.attempts(id);
      if (attempts.some((attempt) => attempt.errorCode === 'MSG_RESTART_IN_FLIGHT')) recovered++;
    }
    expect(recovered).toBeGreaterThan(0);
  }, 120_000);

  /** Where each instance would send a message of the migration's route now (nothing is sent). */
  const firstChoice = async (url: string) => {
    const { body } = await call(url, 'GET', '/v1/route?to=%2B260971234567');
    return (body.chain as Array<{ provider: string }>)[0]?.provider;
  };

  it('spreads an emergency stop made on one instance to the others within a second, and a breaker opened on one', async () => {
    const { instances } = await startFleet(1);
    const [a, b, c] = instances.map((instance) => instance.url) as [string, string, string];
    expect(await firstChoice(b)).toBe('new');
    const stopped = await call(a, 'POST', '/v1/admin/migrations/m/emergency-stop', { reason: 'complaints' });
    expect(stopped.status).toBe(200);
    const started = Date.now();
    await until(
      async () => (await firstChoice(b)) === 'old' && (await firstChoice(c)) === 'old',
      1000,
      'B and C to route to from',
    );
    expect(Date.now() - started).toBeLessThan(1000);
    for (const url of [b, c]) {
      const sent = await call(
        url,
        'POST',
        '/v1/messages?wait=true',
        { to: '+260971234567', text: 'after the stop' },
        SCALE_OUT_KEY,
      );
      expect(sent.body.provider).toBe('old');
    }
    // B's own view of the migration (read from the store) follows too.
    await until(
      async () => (await call(b, 'GET', '/v1/migrations/m')).body.mode === 'rolled-back',
      2000,
      "B's view",
    );

    // The always-failing provider's breaker opens on A; B and C skip it too.
    for (let index = 0; index < 3; index++) {
      await call(
        a,
        'POST',
        '/v1/messages?wait=true',
        { to: `+2609612345${index}0`, text: 'x' },
        SCALE_OUT_KEY,
      );
    }
    const breakerOf = async (url: string) => {
      const { body } = await call(url, 'GET', '/v1/providers');
      return JSON.stringify(
        (body.providers as Array<{ id: string; breaker: unknown }>).find((item) => item.id === 'down')
          ?.breaker,
      );
    };
    expect(await breakerOf(a)).toContain('open');
    await until(
      async () => (await breakerOf(b)).includes('open') && (await breakerOf(c)).includes('open'),
      1000,
      'the breaker on B and C',
    );
  }, 120_000);

  it('keeps sending while Redis is down, loses nothing, and converges when it returns', async () => {
    const redis = new OwnRedis(await freePort());
    await redis.start();
    cleanup.push(() => redis.stop());
    const { instances, simulator, store } = await startFleet(20, {}, redis.url);
    const [a, b, c] = instances.map((instance) => instance.url) as [string, string, string];
    let outage: Promise<void> | undefined;
    const degraded: string[] = [];
    const accepted = await sendThrough(
      () => [a, b, c],
      300,
      12,
      (_id, total) => {
        if (total !== 60) return;
        outage = (async () => {
          await redis.stop();
          await until(
            async () => (await call(b, 'GET', '/readyz')).body.status === 'degraded',
            5000,
            'B to say degraded',
          );
          degraded.push('b');
          // A control change while Redis is away: stored, applied on A, spread when Redis returns.
          const stopped = await call(a, 'POST', '/v1/admin/migrations/m/emergency-stop', {
            reason: 'during the outage',
          });
          expect(stopped.status).toBe(200);
          await new Promise((resolve) => setTimeout(resolve, 2000));
          await redis.start();
        })();
      },
    );
    await outage;
    expect(degraded).toEqual(['b']);
    await settled(store, accepted);
    await expectEachSentOnce(store, accepted, simulator);
    expect(accepted.length).toBe(300);
    await until(
      async () => (await firstChoice(b)) === 'old' && (await firstChoice(c)) === 'old',
      15_000,
      'the stop to reach B and C',
    );
    await until(
      async () => (await call(b, 'GET', '/readyz')).body.status === 'ready',
      15_000,
      'B to be ready again',
    );
  }, 120_000);

  it("holds an API key's rate limit across the instances", async () => {
    const shared = fleet();
    cleanup.push(() => dropSchema(shared.schema));
    cleanup.push(() => dropKeys(REDIS_URL as string, shared.keyPrefix));
    const config = {
      apiKeys: [{ id: 'client', key: API_KEY, scopes: ['send', 'read'], rateLimitPerMinute: 6 }],
      store: { driver: 'postgres', url: POSTGRES_URL, schema: shared.schema, poolSize: 3 },
      state: { driver: 'redis', url: REDIS_URL, keyPrefix: shared.keyPrefix },
      plugins: [{ resolve: '@msg/plugin-console', id: 'console', options: { silent: true } }],
    };
    const first = await startGateway(config);
    cleanup.push(() => first.gateway.stop());
    const second = await startGateway(config);
    cleanup.push(() => second.gateway.stop());
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) {
      for (const gateway of [first, second]) {
        statuses.push(
          (await gateway.call('POST', '/v1/messages', { body: { to: '+260971234567', text: 'x' } })).status,
        );
      }
    }
    // Six a minute for the key, whichever instance the requests reach: each instance alone would take six.
    expect(statuses.filter((status) => status === 202)).toHaveLength(6);
    expect(statuses.filter((status) => status === 429)).toHaveLength(4);
  }, 60_000);
});
