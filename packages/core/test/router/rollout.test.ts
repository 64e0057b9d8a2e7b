import { describe, expect, it } from 'vitest';
import { stableBucket } from '../../src/hash.js';
import type { RouterConfig } from '../../src/router/config.js';
import { rolloutBucket, rolloutSide, stickyKeyOf } from '../../src/router/rollout.js';
import { Router } from '../../src/router/router.js';
import { MemoryRouterStateStore } from '../../src/router/state.js';
import { scriptedProvider, sms, zambianNumbers } from './helpers.js';

const config = (percentage: number, extra: Partial<RouterConfig['routes'][number]['migration']> = {}) =>
  ({
    routes: [
      {
        id: 'zambia',
        providers: ['legacy', 'africastalking'],
        migration: { id: 'legacy-to-at', from: ['legacy'], to: ['africastalking'], percentage, ...extra },
      },
    ],
  }) as RouterConfig;

const makeRouter = (percentage: number, store = new MemoryRouterStateStore()) =>
  new Router({
    config: config(percentage),
    providers: [scriptedProvider('legacy'), scriptedProvider('africastalking')],
    store,
  });

const numbers = zambianNumbers(2_000);

describe('rollout bucket', () => {
  it('equals stableBucket of seed and key, for ASCII and non-ASCII keys alike', () => {
    for (const key of [...numbers.slice(0, 200), 'émile@example.com', 'ñ', '日本', 'x'.repeat(300)]) {
      expect(rolloutBucket('seed', key)).toBe(stableBucket(`seed:${key}`, 100));
    }
  });

  it('puts a bucket below the percentage on the to side', () => {
    expect(rolloutSide(36, 37)).toBe('to');
    expect(rolloutSide(37, 37)).toBe('from');
    expect(rolloutSide(0, 0)).toBe('from');
    expect(rolloutSide(99, 100)).toBe('to');
  });
});

describe('sticky percentage migration', () => {
  it('sends the same recipient to the same side on every instance', () => {
    const first = makeRouter(37);
    const second = makeRouter(37);
    for (const number of numbers) {
      const message = sms(number);
      expect(second.decide(message).candidates).toEqual(first.decide(message).candidates);
      // And the same again on the same instance with another message to that recipient.
      expect(first.decide(sms(number)).candidates).toEqual(first.decide(message).candidates);
    }
  });

  it('only moves recipients forward as the percentage rises, never back', () => {
    const store = new MemoryRouterStateStore();
    const router = makeRouter(0, store);
    const sides = new Map<string, string[]>();
    for (let percentage = 0; percentage <= 100; percentage += 5) {
      store.setMigration('legacy-to-at', { percentage });
      for (const number of numbers) {
        const side = router.decide(sms(number)).migration?.side as string;
        const history = sides.get(number) ?? [];
        history.push(side);
        sides.set(number, history);
      }
    }
    for (const [number, history] of sides) {
      const firstTo = history.indexOf('to');
      // Once on `to`, never back on `from`.
      if (firstTo >= 0)
        expect(
          history.slice(firstTo).every((side) => side === 'to'),
          number,
        ).toBe(true);
      expect(history[0]).toBe('from');
      expect(history.at(-1)).toBe('to');
    }
  });

  it('sends about the configured share of recipients to the new provider', () => {
    const router = makeRouter(30);
    const many = zambianNumbers(20_000);
    const moved = many.filter(
      (number) => router.decide(sms(number)).candidates[0] === 'africastalking',
    ).length;
    expect(moved / many.length).toBeGreaterThan(0.28);
    expect(moved / many.length).toBeLessThan(0.32);
  });

  it('keeps the other side as failover', () => {
    const router = makeRouter(100);
    expect(router.decide(sms()).candidates).toEqual(['africastalking', 'legacy']);
  });

  it('explains the bucket in the decision', () => {
    const router = makeRouter(50);
    const number = numbers.find((candidate) => rolloutBucket('legacy-to-at', candidate) === 37) as string;
    expect(number).toBeDefined();
    const decision = router.decide(sms(number));
    expect(decision.reasons).toContain('rollout bucket 37 < 50 -> africastalking');
    expect(decision.migration).toEqual({
      id: 'legacy-to-at',
      side: 'to',
      mode: 'gradual',
      basis: 'bucket',
      bucket: 37,
      percentage: 50,
      emergencyStop: false,
    });
    const other = numbers.find((candidate) => rolloutBucket('legacy-to-at', candidate) === 73) as string;
    expect(router.decide(sms(other)).reason).toContain('rollout bucket 73 >= 50 -> legacy');
  });

  it('reshuffles who moves first with another seed', () => {
    const seeded = new Router({
      config: config(50, { seed: 'second-try' }),
      providers: [scriptedProvider('legacy'), scriptedProvider('africastalking')],
    });
    const plain = makeRouter(50);
    const differ = numbers.filter(
      (number) => seeded.decide(sms(number)).candidates[0] !== plain.decide(sms(number)).candidates[0],
    ).length;
    expect(differ).toBeGreaterThan(numbers.length * 0.3);
  });

  it('hashes a metadata value when told, so one account moves as a whole', () => {
    const router = new Router({
      config: config(50, { stickyBy: 'metadata.account' }),
      providers: [scriptedProvider('legacy'), scriptedProvider('africastalking')],
    });
    const sides = new Set(
      numbers
        .slice(0, 200)
        .map((number) => router.decide(sms(number, { metadata: { account: 'acme' } })).candidates[0]),
    );
    expect(sides.size).toBe(1);
    expect(stickyKeyOf(sms('+260971234567'), 'metadata.account')).toEqual({
      key: '+260971234567',
      by: 'recipient',
    });
  });

  it('sends VIP numbers and tags to their own side whatever their bucket', () => {
    const vip = numbers.slice(0, 50);
    const router = new Router({
      config: config(100, { vip: [{ side: 'from', numbers: vip, tags: ['board'] }] }),
      providers: [scriptedProvider('legacy'), scriptedProvider('africastalking')],
    });
    for (const number of vip) expect(router.decide(sms(number)).candidates[0]).toBe('legacy');
    expect(router.decide(sms(numbers[60], { tags: ['board'] })).candidates[0]).toBe('legacy');
    expect(router.decide(sms(numbers[60])).candidates[0]).toBe('africastalking');
    expect(router.decide(sms(vip[0])).reasons).toContain(`VIP number ${vip[0]} -> legacy`);
  });

  it('applies a new percentage on the next message', async () => {
    const router = makeRouter(0);
    const message = sms();
    expect(router.decide(message).candidates[0]).toBe('legacy');
    await router.setRolloutPercentage('legacy-to-at', 100);
    expect(router.decide(message).candidates[0]).toBe('africastalking');
    expect(router.status().migrations).toEqual([
      {
        id: 'legacy-to-at',
        route: 'zambia',
        from: ['legacy'],
        to: ['africastalking'],
        mode: 'gradual',
        percentage: 100,
        emergencyStop: false,
        crossSideFailover: 'gradual',
      },
    ]);
    await expect(router.setRolloutPercentage('legacy-to-at', 101)).rejects.toThrow('integer from 0 to 100');
    await expect(router.setRolloutPercentage('nope', 10)).rejects.toThrow('unknown migration "nope"');
  });
});
