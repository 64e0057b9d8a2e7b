import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOUND_PATH, SUBSCRIPTION_PATH, TOKEN_PATH } from '../src/index.js';
import type { MtnSimulator } from '../src/simulator.js';
import {
  ACME,
  optionsFor,
  providers,
  recordingLogger,
  SERVICE_CODE,
  signal,
  sms,
  startSimulator,
  WEBHOOK_URL,
} from './helpers.js';

let simulator: MtnSimulator;
const harness = providers();
const subscriptionRequests = () => simulator.requestsTo(SUBSCRIPTION_PATH);
const reportUrl = `${WEBHOOK_URL}?token=${ACME.webhookToken}`;

beforeAll(async () => {
  simulator = await startSimulator();
  simulator.defaultOutcome = 'none';
});
afterEach(() => {
  simulator.reset();
  simulator.subscriptions.length = 0;
});
afterAll(async () => {
  await harness.closeAll();
  await simulator.stop();
});

describe('delivery-report subscription', () => {
  it('is registered once, before the first send, however many sends run at once', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator), { webhookUrl: WEBHOOK_URL });
    expect(simulator.requests).toHaveLength(0);
    await Promise.all(
      Array.from({ length: 8 }, (_, index) => provider.send(sms(`m-${index}`), { signal: signal() })),
    );
    await provider.send(sms('m-later'), { signal: signal() });

    expect(subscriptionRequests()).toHaveLength(1);
    expect(simulator.requests.map((request) => request.path).slice(0, 3)).toEqual([
      TOKEN_PATH,
      SUBSCRIPTION_PATH,
      OUTBOUND_PATH,
    ]);
    const [request] = subscriptionRequests();
    expect(request?.headers.authorization).toMatch(/^Bearer .+/);
    expect(JSON.parse(request?.body.toString() ?? '')).toEqual({
      callbackUrl: reportUrl,
      deliveryReportUrl: reportUrl,
      targetSystem: 'msg-gateway',
      serviceCode: SERVICE_CODE,
    });
    expect(simulator.subscriptions).toHaveLength(1);
  });

  it('counts "already subscribed" (a restarted instance) as registered', async () => {
    const first = await harness.make(optionsFor(ACME, simulator), { webhookUrl: WEBHOOK_URL });
    await first.send(sms('m-1'), { signal: signal() });
    const restarted = await harness.make(optionsFor(ACME, simulator), { webhookUrl: WEBHOOK_URL });
    await restarted.send(sms('m-2'), { signal: signal() });
    await restarted.send(sms('m-3'), { signal: signal() });
    expect(subscriptionRequests()).toHaveLength(2);
    expect(simulator.subscriptions).toHaveLength(1);
    await expect(restarted.health!({ signal: signal() })).resolves.toEqual({
      ok: true,
      detail: 'token ok; delivery reports registered',
    });
  });

  it('can be made by health() before any send', async () => {
    const provider = await harness.make(optionsFor(ACME, simulator), { webhookUrl: WEBHOOK_URL });
    const health = await provider.health!({ signal: signal() });
    expect(health).toEqual({ ok: true, detail: 'token ok; delivery reports registered' });
    expect(subscriptionRequests()).toHaveLength(1);
    await provider.send(sms('m-1'), { signal: signal() });
    expect(subscriptionRequests()).toHaveLength(1);
  });

  it('does not fail sends when it fails, and is retried only after subscriptionRetryMs', async () => {
    let now = 1_000_000;
    const logger = recordingLogger();
    const provider = await harness.make(optionsFor(ACME, simulator, { subscriptionRetryMs: 60_000 }), {
      webhookUrl: WEBHOOK_URL,
      now: () => now,
      logger,
    });
    simulator.subscriptionFailures.push(503);
    await expect(provider.send(sms('m-1'), { signal: signal() })).resolves.toMatchObject({
      status: 'queued',
    });
    await provider.send(sms('m-2'), { signal: signal() });
    expect(subscriptionRequests()).toHaveLength(1);
    expect(logger.entries.find((entry) => entry.level === 'warn')?.message).toContain('subscription failed');
    expect(JSON.stringify(logger.entries)).not.toContain(ACME.webhookToken);
    const health = await provider.health!({ signal: signal() });
    expect(health.detail).toContain('registration failed (HTTP 503');

    now += 60_000;
    await provider.send(sms('m-3'), { signal: signal() });
    expect(subscriptionRequests()).toHaveLength(2);
    expect(simulator.subscriptions).toHaveLength(1);
  });

  it('is skipped without a webhook token, with a warning, and when turned off', async () => {
    const logger = recordingLogger();
    const withoutToken = await harness.make(optionsFor(ACME, simulator, { webhookToken: undefined }), {
      webhookUrl: WEBHOOK_URL,
      logger,
    });
    const turnedOff = await harness.make(optionsFor(ACME, simulator, { registerDeliveryReports: false }), {
      webhookUrl: WEBHOOK_URL,
    });
    await withoutToken.send(sms('m-1'), { signal: signal() });
    await turnedOff.send(sms('m-2'), { signal: signal() });
    expect(subscriptionRequests()).toHaveLength(0);
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});
