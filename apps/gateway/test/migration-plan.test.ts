// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the tests short.
import { type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyCallback } from '../src/callbacks/callback-signature.js';
import { Tokens } from '../src/container.js';
import { ADMIN_KEY, eventually, startGateway, type TestGateway } from './helpers.js';

const MINUTE = 60_000;
const MIGRATION = 'mtn-to-africastalking';
/** What `${TEST_SECRET}` resolves to in the test config: alerts are signed with the callback secret. */
const SIGNING_SECRET = 'super-secret-value';

/** A clock the test moves: plans hold for minutes and receipts settle after a window. */
function testClock() {
  let time = Date.UTC(2026, 11, 2, 8, 0);
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

interface PlanRig {
  gateway: TestGateway;
  clock: ReturnType<typeof testClock>;
  alerts: WebhookReceiver;
  simulator: (id: string) => string;
}

/** A sandbox gateway: MTN (the legacy carrier) moving to Africa's Talking, each on its simulator. */
async function planRig(plan: Record<string, unknown>, clock = testClock()): Promise<PlanRig> {
  const alerts = await webhookReceiver();
  const gateway = await startGateway(
    {
      sandbox: true,
      plugins: [
        { resolve: '@msg/plugin-mtn', id: 'mtn', options: {} },
        { resolve: '@msg/plugin-africastalking', id: 'africastalking', options: {} },
      ],
      routing: {
        defaults: { retry: { maxRetries: 0 } },
        routes: [
          {
            id: 'zm-mtn',
            match: { channel: 'sms', carrier: 'mtn' },
            providers: ['mtn', 'africastalking'],
            migration: { id: MIGRATION, from: ['mtn'], to: ['africastalking'], percentage: 0, plan },
          },
        ],
      },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's environment reference.
      callbacks: { signingSecret: '${TEST_SECRET}' },
      alerts: { endpoints: [{ url: `${alerts.url}/alerts` }], initialBackoffMs: 50 },
      migrations: { tickMs: 20 },
      sweeper: { intervalMs: 20 },
    },
    { now: clock.now },
  );
  const simulator = (id: string) => {
    const line = gateway.logger.lines.find((item) => item.message.startsWith(`sandbox: ${id} -> `));
    return (line?.message.split(' at ')[1] ?? '') as string;
  };
  return { gateway, clock, alerts, simulator };
}

let batchCounter = 0;
/** Sends `count` SMS to distinct MTN numbers and waits until each has a final status. */
async function sendAndSettle(rig: PlanRig, count: number): Promise<string[]> {
  const batch = ++batchCounter;
  const response = await rig.gateway.call('POST', '/v1/messages/batch', {
    body: {
      messages: Array.from({ length: count }, (_, index) => ({
        to: `+26096${String(batch).padStart(2, '0')}${String(index).padStart(5, '0')}`,
        text: `step message ${index}`,
      })),
    },
  });
  expect(response.body.accepted).toBe(count);
  const ids: string[] = response.body.results.map((result: { id: string }) => result.id);
  const store = rig.gateway.gateway.container.get(Tokens.MessageStore);
  await eventually(async () => {
    const messages = await Promise.all(ids.map((id) => store.get(id)));
    return messages.every(
      (message) => message && ['delivered', 'undelivered', 'failed'].includes(message.status),
    )
      ? true
      : undefined;
  }, 15_000);
  return ids;
}

const migration = async (rig: PlanRig) =>
  (await rig.gateway.call('GET', `/v1/migrations/${MIGRATION}`, { key: ADMIN_KEY })).body;

/** Moves the clock on and waits for the plan to look at it (an analysis, or a step). */
async function advance(rig: PlanRig, ms: number): Promise<any> {
  rig.clock.advance(ms);
  const target = new Date(rig.clock.now()).toISOString();
  return eventually(async () => {
    const body = await migration(rig);
    const plan = body.plan;
    if (['aborted', 'promoted'].includes(plan.phase)) return body;
    return plan.lastAnalysisAt === target || plan.stepStartedAt === target ? body : undefined;
  });
}

async function auditOf(rig: PlanRig) {
  const audit = await rig.gateway.call('GET', `/v1/admin/audit?subject=migration:${MIGRATION}&limit=200`, {
    key: ADMIN_KEY,
  });
  return (audit.body.entries as any[]).reverse();
}

const PLAN = {
  steps: [
    { percentage: 10, hold: '20m' },
    { percentage: 25, hold: '20m' },
    { percentage: 50, hold: '20m' },
    { percentage: 100 },
  ],
  analysis: {
    interval: '10m',
    receiptWindow: '5m',
    minSample: 10,
    failureLimit: 2,
    checks: ['to.deliveredRate >= from.deliveredRate - 0.05', 'to.deliveredRate >= 0.9'],
  },
};

describe('migration plans over real simulators, on an injected clock', () => {
  const rigs: PlanRig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) {
      await rig.gateway.stop();
      await rig.alerts.close();
    }
  });

  it('advances 10 -> 25 -> 50 -> 100 while both carriers deliver, and the audit shows each step', async () => {
    const rig = await planRig(PLAN);
    rigs.push(rig);
    expect((await migration(rig)).plan).toMatchObject({ phase: 'progressing', step: 1 });
    for (const percentage of [10, 25, 50]) {
      expect((await migration(rig)).percentage).toBe(percentage);
      await sendAndSettle(rig, percentage === 10 ? 200 : 80);
      // Two analyses pass, and the hold ends with the second.
      await advance(rig, 10 * MINUTE);
      await advance(rig, 10 * MINUTE);
    }
    const last = await migration(rig);
    expect(last).toMatchObject({ percentage: 100, source: 'runtime', plan: { step: 4 } });
    await sendAndSettle(rig, 30);
    const done = await advance(rig, 10 * MINUTE);
    expect(done).toMatchObject({ mode: 'complete', plan: { phase: 'promoted' } });
    const steps = (await auditOf(rig)).filter((entry) => entry.action === 'migration.percentage');
    expect(steps.map((entry) => [entry.actor, entry.after.percentage])).toEqual([
      ['config', 10],
      ['plan', 25],
      ['plan', 50],
      ['plan', 100],
    ]);
    expect(
      (await auditOf(rig)).some(
        (entry) => entry.action === 'plan.analysis' && entry.reason?.includes('plan promoted'),
      ),
    ).toBe(true);
    const checks = await rig.gateway.call('GET', `/v1/migrations/${MIGRATION}/checks?limit=3`, {
      key: ADMIN_KEY,
    });
    expect(checks.body.checks[0].verdict).toBe('pass');
    const metrics = (await rig.gateway.call('GET', '/metrics', { key: null })).body as string;
    for (const series of [
      'msg_receipts_total{provider="africastalking",status="delivered",side="to"}',
      'msg_receipts_total{provider="mtn",status="delivered",side="from"}',
      'msg_time_to_delivery_seconds_bucket{le="1",provider="africastalking",side="to"}',
      'msg_cost_total{provider="africastalking",currency="KES"}',
      `msg_migration_mode{migration="${MIGRATION}",mode="complete"} 1`,
      `msg_migration_percentage{migration="${MIGRATION}"} 100`,
      `msg_migration_plan_phase{migration="${MIGRATION}",phase="promoted"} 1`,
      `msg_migration_checks_total{migration="${MIGRATION}",check="to.deliveredRate >= 0.9",verdict="pass"}`,
    ]) {
      expect(metrics).toContain(series);
    }
  }, 60_000);

  it('aborts within failureLimit analyses when the new side loses receipts; every next message goes to from', async () => {
    const rig = await planRig(PLAN);
    rigs.push(rig);
    await sendAndSettle(rig, 200);
    await advance(rig, 10 * MINUTE);
    await advance(rig, 10 * MINUTE);
    expect((await migration(rig)).percentage).toBe(25);
    // Africa's Talking starts answering 30 % of its receipts undelivered.
    const mix = await request(`${rig.simulator('africastalking')}/__simulator/outcome-mix`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mix: { undelivered: 0.3 } }),
    });
    expect(mix.statusCode).toBe(200);
    await sendAndSettle(rig, 120);
    await advance(rig, 10 * MINUTE);
    const aborted = await advance(rig, 10 * MINUTE);
    expect(aborted).toMatchObject({ mode: 'rolled-back', plan: { phase: 'aborted' } });
    expect(aborted.plan.reason).toMatch(
      /^2 failed analyses in a row: to\.deliveredRate 0\.\d+ < from\.deliveredRate 1 - 0\.05/,
    );
    // Every following message goes to the old carrier.
    const after = await sendAndSettle(rig, 40);
    const store = rig.gateway.gateway.container.get(Tokens.MessageStore);
    const providers = new Set(
      (await Promise.all(after.map((id) => store.get(id)))).map((message) => message?.providerId),
    );
    expect([...providers]).toEqual(['mtn']);
    const rollback = (await auditOf(rig)).find((entry) => entry.action === 'migration.emergency-stop');
    expect(rollback).toMatchObject({ actor: 'safeguard', after: { mode: 'rolled-back' } });
    expect(rollback.reason).toContain('to.deliveredRate');
    // The alert names the failed checks, signed like status callbacks.
    await eventually(async () =>
      rig.alerts.received.some(
        (item) =>
          item.rawBody.length && JSON.parse(Buffer.from(item.rawBody).toString()).event === 'plan-aborted',
      )
        ? true
        : undefined,
    );
    const alert = rig.alerts.received.find(
      (item) => JSON.parse(Buffer.from(item.rawBody).toString()).event === 'plan-aborted',
    );
    const body = Buffer.from(alert?.rawBody ?? []).toString();
    expect(JSON.parse(body).message).toContain('to.deliveredRate');
    expect(
      verifyCallback(
        SIGNING_SECRET,
        { timestamp: alert?.headers['msg-timestamp'], signature: alert?.headers['msg-signature'] },
        body,
        {
          now: Number(alert?.headers['msg-timestamp']) * 1000,
        },
      ),
    ).toBe(true);
  }, 60_000);

  it('pauses inconclusive on too little data, neither failing nor advancing', async () => {
    const rig = await planRig({ ...PLAN, analysis: { ...PLAN.analysis, minSample: 50 } });
    rigs.push(rig);
    await sendAndSettle(rig, 30);
    await advance(rig, 10 * MINUTE);
    const paused = await advance(rig, 10 * MINUTE);
    expect(paused).toMatchObject({
      mode: 'gradual',
      percentage: 10,
      plan: { phase: 'inconclusive', step: 1 },
    });
    expect(paused.lastChecks.checks[0].reason).toMatch(/below the minimum of 50/);
    await eventually(async () =>
      rig.alerts.received.some((item) => Buffer.from(item.rawBody).toString().includes('plan-inconclusive'))
        ? true
        : undefined,
    );
  }, 30_000);
});
