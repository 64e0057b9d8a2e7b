import { describe, expect, it } from 'vitest';
import type { BatchItemResult, Provider } from '../../src/provider.js';
import { Router } from '../../src/router/router.js';
import { failure, scriptedProvider, sms } from './helpers.js';

/** A provider with a bulk API whose answer for each message a test decides. */
function bulkProvider(
  id: string,
  answer: (messageId: string, index: number) => BatchItemResult | 'throw',
  maxBatchSize = 3,
): Provider<'sms'> & { batches: string[][] } {
  const base = scriptedProvider(id);
  const provider = Object.assign(base, {
    capabilities: { ...base.capabilities, maxBatchSize },
    batches: [] as string[][],
    async sendBatch(messages: readonly { id: string }[]): Promise<BatchItemResult[]> {
      provider.batches.push(messages.map((message) => message.id));
      const results: BatchItemResult[] = [];
      for (const [index, message] of messages.entries()) {
        const result = answer(message.id, index);
        if (result === 'throw') throw failure(id, 'transient');
        results.push(result);
      }
      return results;
    },
  });
  return provider;
}

const ok = (id: string): BatchItemResult => ({
  messageId: id,
  ok: true,
  result: { providerMessageId: `p-${id}`, status: 'queued', details: { bulkId: 'B1' } },
});

describe('Router.sendBatch', () => {
  it("chunks by the provider's maximum and gives one outcome per message, partial failure per recipient", async () => {
    const bulk = bulkProvider('bulk', (id, index) =>
      index === 1
        ? { messageId: id, ok: false, error: failure('bulk', 'permanent', { providerCode: 'BAD_NUMBER' }) }
        : index === 2
          ? { messageId: id, ok: false, error: failure('bulk', 'transient') }
          : ok(id),
    );
    const backup = scriptedProvider('backup');
    const router = new Router({
      config: { routes: [{ id: 'sms', providers: ['bulk', 'backup'] }] },
      providers: [bulk, backup],
    });
    const messages = [sms(), sms('+260971234568'), sms('+260971234569'), sms('+260971234570')];
    const outcomes = await router.sendBatch(messages, { maxBatchSize: 200 });
    expect(bulk.batches.map((batch) => batch.length)).toEqual([3, 1]);
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.single ? 'single' : 'final'))).toEqual([
      'ok',
      'final',
      'single',
      'ok',
    ]);
    const first = outcomes[0];
    expect(first?.ok && first.bulkId).toBe('B1');
    expect(first?.ok && first.routed.attempts[0]?.providerMessageId).toBe(`p-${messages[0]?.id}`);
    const permanent = outcomes[1];
    expect(!permanent?.ok && permanent?.error.attempts[0]?.errorCode).toBe('BAD_NUMBER');
    expect(backup.calls).toHaveLength(0);
  });

  it('leaves messages whose first provider has no bulk API, or is throttled, to single sends', async () => {
    const plain = scriptedProvider('plain');
    const router = new Router({
      config: { routes: [{ id: 'sms', providers: ['plain'] }] },
      providers: [plain],
    });
    const outcomes = await router.sendBatch([sms(), sms('+260971234568')]);
    expect(outcomes.every((outcome) => !outcome.ok && outcome.single)).toBe(true);
    expect(plain.calls).toHaveLength(0);

    const limited = bulkProvider('limited', ok, 10);
    const throttled = new Router({
      config: {
        routes: [{ id: 'sms', providers: ['limited'] }],
        providers: { limited: { rateLimit: { perSecond: 1, burst: 2 } } },
      },
      providers: [limited],
      now: () => 1000,
    });
    const results = await throttled.sendBatch([sms(), sms('+260971234568'), sms('+260971234569')]);
    expect(results.map((outcome) => outcome.ok)).toEqual([true, true, false]);
    expect(limited.batches).toEqual([[expect.any(String), expect.any(String)]]);
  });

  it('fails every message of a batch whose call failed, for a single retry when the route allows', async () => {
    const broken = bulkProvider('broken', () => 'throw');
    const router = new Router({
      config: { routes: [{ id: 'sms', providers: ['broken'], failoverOn: ['transient'] }] },
      providers: [broken],
    });
    const outcomes = await router.sendBatch([sms(), sms('+260971234568')]);
    expect(outcomes.every((outcome) => !outcome.ok && outcome.single)).toBe(true);
    const failed = outcomes[0];
    expect(!failed?.ok && failed?.error.attempts[0]?.errorKind).toBe('transient');
  });
});

describe('least-cost strategy', () => {
  const prices: Record<string, number> = { cheap: 1, mid: 2, dear: 3 };
  const build = (rates: Record<string, number | undefined>) =>
    new Router({
      config: {
        routes: [
          { id: 'sms', strategy: 'least-cost', qualityFloor: 0.9, providers: ['dear', 'mid', 'cheap'] },
        ],
      },
      providers: [scriptedProvider('dear'), scriptedProvider('mid'), scriptedProvider('cheap')],
      price: (provider) => prices[provider],
      deliveredRate: (provider) => rates[provider],
    });

  it('picks the cheapest provider above the quality floor and explains it', () => {
    const decision = build({ cheap: 0.8, mid: 0.95 }).decide(sms());
    expect(decision.candidates).toEqual(['mid', 'dear', 'cheap']);
    expect(decision.reason).toContain(
      'least cost mid 2 < dear 3 (cheap delivered 80% < floor 90%: failover only)',
    );
  });

  it('does not hold back a provider without receipts yet', () => {
    expect(build({}).decide(sms()).candidates).toEqual(['cheap', 'mid', 'dear']);
  });

  it('refuses a quality floor outside 0-1', () => {
    expect(
      () =>
        new Router({
          config: { routes: [{ id: 'sms', strategy: 'least-cost', qualityFloor: 90, providers: ['a'] }] },
          providers: [scriptedProvider('a')],
        }),
    ).toThrow(/qualityFloor: must be a number from 0 to 1/);
  });
});

describe('send after a call outside it (tried)', () => {
  it('goes on to the next provider, and back to the tried one only when the policy retries', async () => {
    const first = scriptedProvider('first');
    const second = scriptedProvider('second', { fallback: failure('second', 'transient') });
    const router = new Router({
      config: { routes: [{ id: 'sms', providers: ['first', 'second'] }] },
      providers: [first, second],
      sleep: () => Promise.resolve(),
      // One clock and no jitter: both wait the same backoff, and the one left first goes first.
      now: () => 1000,
      random: () => 0.5,
    });
    const routed = await router.send(sms(), { tried: { provider: 'first', trigger: 'transient' } });
    expect(routed.provider).toBe('first');
    expect(routed.attempts.map((attempt) => [attempt.provider, attempt.retry])).toEqual([
      ['second', 0],
      ['first', 1],
    ]);
  });

  it('retries the tried provider first on a before-failover route', async () => {
    const first = scriptedProvider('first');
    const second = scriptedProvider('second');
    const router = new Router({
      config: { routes: [{ id: 'sms', providers: ['first', 'second'], retries: 'before-failover' }] },
      providers: [first, second],
    });
    const routed = await router.send(sms(), { tried: { provider: 'first', trigger: 'transient' } });
    expect(routed.provider).toBe('first');
    expect(second.calls).toHaveLength(0);
  });
});
