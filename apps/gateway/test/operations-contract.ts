import { emptySideSample, initialPlanState } from '@msg/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptRecord, DispatchOutcome, MessageStore } from '../src/store/message-store.js';
import { queuedSms } from './store-contract.js';

const NOW = 1_000_000;
const SETTLED_BEFORE = 940_000;
const SLOW_AFTER = 240_000;

/**
 * What the operations part of a store must do (control state, audit, plans, checks, alerts, and
 * the aggregates a migration's analysis reads); every adapter runs it.
 */
export function describeOperationsStore(name: string, open: () => Promise<MessageStore>): void {
  describe(`operations store: ${name}`, () => {
    let store: MessageStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(() => store.close());

    it('keeps runtime control state, drops it on reset, and writes the audit entry with it', async () => {
      await store.writeOperation(
        {
          controls: [
            {
              subject: 'migration:m',
              state: { mode: 'gradual', percentage: 30 },
              updatedBy: 'ops',
              reason: 'why',
            },
          ],
          audit: [
            {
              at: 10,
              actor: 'ops',
              action: 'migration.percentage',
              subject: 'migration:m',
              reason: 'why',
              before: { percentage: 10 },
              after: { percentage: 30 },
            },
          ],
        },
        10,
      );
      expect(await store.controls()).toEqual([
        {
          subject: 'migration:m',
          state: { mode: 'gradual', percentage: 30 },
          updatedAt: 10,
          updatedBy: 'ops',
          reason: 'why',
        },
      ]);
      await store.writeOperation(
        { controls: [{ subject: 'migration:m', state: undefined, updatedBy: 'ops' }] },
        20,
      );
      expect(await store.controls()).toEqual([]);
      const [entry] = await store.audit({ limit: 10 });
      expect(entry).toMatchObject({
        at: 10,
        actor: 'ops',
        action: 'migration.percentage',
        subject: 'migration:m',
        reason: 'why',
        before: { percentage: 10 },
        after: { percentage: 30 },
      });
    });

    it('filters and pages the audit log, newest first', async () => {
      const audit = Array.from({ length: 5 }, (_, index) => ({
        at: 100 + index,
        actor: index % 2 === 0 ? 'ops' : 'plan',
        action: 'migration.percentage',
        subject: index < 3 ? 'migration:a' : 'migration:b',
      }));
      await store.writeOperation({ audit }, 100);
      const all = await store.audit({ limit: 2 });
      expect(all.map((entry) => entry.at)).toEqual([104, 103]);
      const next = await store.audit({ limit: 2, before: all.at(-1)?.id });
      expect(next.map((entry) => entry.at)).toEqual([102, 101]);
      expect(
        (await store.audit({ limit: 10, subject: 'migration:a', actor: 'ops' })).map((entry) => entry.at),
      ).toEqual([102, 100]);
      expect((await store.audit({ limit: 10, since: 103 })).map((entry) => entry.at)).toEqual([104, 103]);
      expect((await store.audit({ limit: 10, until: 101 })).map((entry) => entry.at)).toEqual([100]);
    });

    it('keeps plans and their check results', async () => {
      const state = initialPlanState(5);
      const plan = {
        migrationId: 'm',
        plan: { steps: [{ percentage: 10 }] },
        state,
        origin: 'api' as const,
        updatedAt: 5,
      };
      const samples = { from: emptySideSample(), to: emptySideSample() };
      await store.writeOperation(
        { plan, checks: { migrationId: 'm', at: 6, step: 0, verdict: 'pass', checks: [], samples } },
        6,
      );
      await store.writeOperation(
        { checks: { migrationId: 'm', at: 7, step: 0, verdict: 'fail', checks: [], samples } },
        7,
      );
      expect(await store.plans()).toEqual([plan]);
      const history = await store.checkHistory('m', { limit: 1 });
      expect(history.map((record) => record.verdict)).toEqual(['fail']);
      expect(
        (await store.checkHistory('m', { limit: 5, before: history[0]?.id })).map((record) => record.at),
      ).toEqual([6]);
      await store.writeOperation({ plan: { migrationId: 'm', remove: true } }, 8);
      expect(await store.plans()).toEqual([]);
    });

    it('runs the alert outbox', async () => {
      await store.writeOperation(
        {
          alerts: [
            { url: 'http://ops/a', body: '{"a":1}' },
            { url: 'http://ops/b', body: '{"b":1}' },
          ],
        },
        50,
      );
      const due = await store.dueAlerts(50, 10);
      expect(due.map((alert) => alert.url)).toEqual(['http://ops/a', 'http://ops/b']);
      await store.alertDone(due[0]?.id as number);
      await store.alertRetry(due[1]?.id as number, 80, false);
      expect(await store.dueAlerts(60, 10)).toEqual([]);
      expect((await store.dueAlerts(80, 10)).map((alert) => [alert.url, alert.attempts])).toEqual([
        ['http://ops/b', 1],
      ]);
      await store.alertRetry(due[1]?.id as number, 90, true);
      expect(await store.dueAlerts(1000, 10)).toEqual([]);
    });

    describe('migration aggregates', () => {
      const attempt = (
        id: string,
        sequence: number,
        provider: string,
        outcome: AttemptRecord['outcome'],
        errorKind?: string,
      ): AttemptRecord => ({
        messageId: id,
        sequence,
        providerId: provider,
        startedAt: 0,
        finishedAt: 1,
        outcome,
        errorKind,
        possibleDuplicate: false,
        migrationId: 'm',
      });
      /** A message of migration `m`: accepted at `at`, finished through `provider`, maybe delivered `after` ms later. */
      async function add(
        id: string,
        options: {
          at: number;
          provider: string;
          side: 'from' | 'to';
          destination: string;
          attempts: AttemptRecord[];
          sent?: boolean;
          deliveredAfter?: number;
          cost?: string;
        },
      ) {
        await store.accept(queuedSms(id, { createdAt: options.at, updatedAt: options.at }));
        const sent = options.sent !== false;
        const attempts = options.attempts.map((item) => ({
          ...item,
          startedAt: options.at,
          finishedAt: options.at + 1,
        }));
        const outcome: DispatchOutcome = {
          status: sent ? 'sent' : 'failed',
          providerId: options.provider,
          providerMessageId: sent ? `pm-${id}` : undefined,
          attempts,
          routeId: 'sms',
          migration: { id: 'm', side: options.side },
          destination: options.destination,
          ...(options.cost ? { cost: { amount: options.cost, currency: 'USD' } } : {}),
          ...(sent ? {} : { error: { kind: 'permanent' as const, message: 'bad number' } }),
        };
        await store.finishDispatch(id, outcome, options.at);
        if (options.deliveredAfter !== undefined) {
          const receivedAt = options.at + options.deliveredAfter;
          await store.addEvent({
            messageId: id,
            providerId: options.provider,
            providerMessageId: `pm-${id}`,
            status: 'delivered',
            providerStatus: 'delivered',
            occurredAt: receivedAt,
            receivedAt,
            eventKey: `key-${id}`,
          });
        }
      }

      beforeEach(async () => {
        await add('a', {
          at: 100_000,
          provider: 'new',
          side: 'to',
          destination: 'airtel',
          attempts: [attempt('a', 1, 'new', 'succeeded')],
          deliveredAfter: 5_000,
          cost: '0.5',
        });
        await add('b', {
          at: 200_000,
          provider: 'new',
          side: 'to',
          destination: 'mtn',
          attempts: [attempt('b', 1, 'new', 'succeeded')],
          deliveredAfter: 300_000,
          cost: '0.5',
        });
        await add('c', {
          at: 300_000,
          provider: 'new',
          side: 'to',
          destination: 'airtel',
          attempts: [attempt('c', 1, 'new', 'succeeded')],
        });
        await add('d', {
          at: 990_000,
          provider: 'new',
          side: 'to',
          destination: 'airtel',
          attempts: [attempt('d', 1, 'new', 'succeeded')],
          deliveredAfter: 5_000,
        });
        await add('e', {
          at: 400_000,
          provider: 'new',
          side: 'to',
          destination: 'airtel',
          attempts: [attempt('e', 1, 'new', 'failed', 'permanent')],
          sent: false,
        });
        // Failed over from the new side to the old one, and delivered there.
        await add('f', {
          at: 500_000,
          provider: 'old',
          side: 'to',
          destination: 'airtel',
          attempts: [attempt('f', 1, 'new', 'failed', 'transient'), attempt('f', 2, 'old', 'succeeded')],
          deliveredAfter: 20_000,
        });
        await add('g', {
          at: 100_000,
          provider: 'old',
          side: 'from',
          destination: 'airtel',
          attempts: [attempt('g', 1, 'old', 'succeeded')],
          deliveredAfter: 10_000,
          cost: '0.25',
        });
        await add('h', {
          at: 150_000,
          provider: 'old',
          side: 'from',
          destination: 'zamtel',
          attempts: [attempt('h', 1, 'old', 'succeeded')],
          deliveredAfter: 10_000,
        });
      });
      const query = {
        migrationId: 'm',
        since: 0,
        until: NOW,
        settledBefore: SETTLED_BEFORE,
        slowAfterMs: SLOW_AFTER,
        now: NOW,
      };

      it("counts one side's sends, errors, settled, delivered, slow messages, delivery times and cost", async () => {
        const to = await store.sideSample({ ...query, providers: ['new'] });
        expect(to).toMatchObject({
          sends: 6,
          sendErrors: 1,
          permanentErrors: 1,
          ambiguous: 0,
          settled: 3,
          delivered: 2,
          slow: 2,
          deliveryTimes: { count: 3, p50Ms: 5_000, p95Ms: 300_000 },
          cost: { total: 1, delivered: 2, currency: 'USD' },
        });
      });

      it('reads the other side only over the destinations the new side served, when asked', async () => {
        const destinations = await store.destinations({
          migrationId: 'm',
          providers: ['new'],
          since: 0,
          until: NOW,
        });
        expect(destinations.sort()).toEqual(['airtel', 'mtn']);
        const all = await store.sideSample({ ...query, providers: ['old'] });
        expect(all).toMatchObject({ sends: 3, settled: 3, delivered: 3 });
        const same = await store.sideSample({ ...query, providers: ['old'], destinations });
        expect(same).toMatchObject({
          sends: 2,
          settled: 2,
          delivered: 2,
          cost: { total: 0.25, delivered: 1 },
        });
      });

      it('counts shadow validations of a side', async () => {
        await store.recordShadowValidation({
          messageId: 'g',
          migrationId: 'm',
          providerId: 'new',
          at: 100_000,
          accepted: true,
          latencyMs: 10,
        });
        await store.recordShadowValidation({
          messageId: 'h',
          migrationId: 'm',
          providerId: 'new',
          at: 150_000,
          accepted: false,
          latencyMs: 30,
          errorKind: 'permanent',
        });
        const to = await store.sideSample({ ...query, providers: ['new'] });
        expect(to.validations).toEqual({ count: 2, wouldAccept: 1, p95Ms: 30 });
      });

      it('buckets a side over time for charts', async () => {
        const points = await store.series({
          migrationId: 'm',
          providers: ['new'],
          since: 0,
          until: NOW,
          bucketMs: 250_000,
          settledBefore: SETTLED_BEFORE,
        });
        expect(points.map((point) => [point.at, point.sends, point.settled, point.delivered])).toEqual([
          [0, 2, 2, 2],
          [250_000, 2, 1, 0],
          [500_000, 1, 0, 0],
          [750_000, 1, 0, 0],
        ]);
        expect(points[0]?.p95DeliveryMs).toBe(300_000);
        expect(points[0]?.costTotal).toBe(1);
      });
    });
  });
}
