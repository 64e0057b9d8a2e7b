// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on.
import { createAfricasTalkingSimulator } from '@msg/plugin-africastalking/simulator';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, eventually, startGateway, type TestGateway } from './helpers.js';

const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.stop()));
});

async function setUp(extra: Record<string, unknown> = {}) {
  const simulator = createAfricasTalkingSimulator({ accounts: { shop: 'shop-api-key' } });
  const origin = await simulator.start();
  running.push(simulator);
  const gateway = await startGateway({
    plugins: [
      {
        resolve: '@msg/plugin-africastalking',
        id: 'at',
        options: { username: 'shop', apiKey: 'shop-api-key', baseUrl: origin },
      },
      { resolve: '@msg/plugin-console', id: 'backup', options: { silent: true } },
    ],
    routing: {
      routes: [{ id: 'sms', providers: ['at', 'backup'] }],
      providers: { at: { retry: { maxRetries: 0 } } },
    },
    costs: {
      currency: 'USD',
      prices: [
        { provider: 'at', amount: '0.01' },
        { provider: 'backup', amount: '0.03' },
      ],
    },
    ...extra,
  });
  running.push(gateway);
  return { simulator, gateway };
}

const numbers = (count: number) =>
  Array.from({ length: count }, (_, index) => `+25471100${String(index).padStart(4, '0')}`);

async function runCampaign(
  gateway: TestGateway,
  recipients: string[],
  extra: Record<string, unknown> = {},
): Promise<any[]> {
  const created = await gateway.call('POST', '/v1/campaigns', {
    body: { template: { text: 'Flash sale' }, recipients, ...extra },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  expect((await gateway.call('POST', `/v1/campaigns/${id}/start`)).status).toBe(200);
  await eventually(async () => {
    const view = await gateway.call('GET', `/v1/campaigns/${id}`);
    return view.body.state === 'completed' ? true : undefined;
  }, 15_000);
  const page = await gateway.call('GET', `/v1/campaigns/${id}/results?limit=1000`);
  return page.body.results;
}

describe("campaigns through a provider's bulk API (Africa's Talking simulator)", () => {
  it('sends one bulk request and handles a partial failure per recipient: final failure, failover, success', async () => {
    const { simulator, gateway } = await setUp();
    const recipients = numbers(10);
    simulator.outcomes.set(recipients[3] as string, 'InvalidPhoneNumber');
    simulator.outcomes.set(recipients[6] as string, 'InternalServerError');
    const results = await runCampaign(gateway, recipients);
    const bulkRequests = simulator.requests.filter((request) =>
      request.path.startsWith('/version1/messaging'),
    );
    // One request carried all ten; the transient failure went on its own to the next provider.
    expect(bulkRequests[0]?.body.toString()).toContain(
      encodeURIComponent(recipients[9] as string).replace('%2B', '%2B'),
    );
    expect(bulkRequests).toHaveLength(1);
    const byNumber = new Map(results.map((result) => [result.to, result]));
    expect(byNumber.get(recipients[3])).toMatchObject({
      status: 'failed',
      provider: 'at',
      error: { kind: 'permanent' },
    });
    expect(byNumber.get(recipients[6])).toMatchObject({
      status: 'delivered',
      provider: 'backup',
      cost: '0.030000',
    });
    const sentByAt = results.filter((result) => result.provider === 'at' && result.status !== 'failed');
    expect(sentByAt).toHaveLength(8);
    expect(new Set(sentByAt.map((result) => result.bulkId)).size).toBe(1);
    expect(sentByAt.every((result) => result.cost === '0.010000')).toBe(true);
    const failedOver = await gateway.call('GET', `/v1/messages/${byNumber.get(recipients[6]).messageId}`);
    expect(failedOver.body.attempts.map((attempt: any) => [attempt.provider, attempt.outcome])).toEqual([
      ['at', 'failed'],
      ['backup', 'succeeded'],
    ]);
  });

  it('sends one by one when the bulk path is rolled back, and audits the rollback', async () => {
    const { simulator, gateway } = await setUp();
    const rolledBack = await gateway.call('PUT', '/v1/campaigns/bulk-rollout', {
      key: ADMIN_KEY,
      body: { enabled: false, reason: 'provider bulk endpoint degraded' },
    });
    expect(rolledBack.body).toEqual({ enabled: false, percentage: 100 });
    const results = await runCampaign(gateway, numbers(5));
    expect(results.every((result) => result.provider === 'at' && result.bulkId === undefined)).toBe(true);
    expect(
      simulator.requests.filter((request) => request.path.startsWith('/version1/messaging')),
    ).toHaveLength(5);
    const audit = await gateway.call('GET', '/v1/admin/audit?subject=campaigns:bulk', { key: ADMIN_KEY });
    expect(audit.body.entries[0]).toMatchObject({
      action: 'campaigns.bulk-rollback',
      actor: 'operator',
      reason: 'provider bulk endpoint degraded',
      after: { enabled: false, percentage: 100 },
    });
  });

  it('skips a provider past its monthly spend limit (reason spend-limit) and alerts once', async () => {
    const { gateway } = await setUp({
      costs: {
        currency: 'USD',
        prices: [
          { provider: 'at', amount: '0.01' },
          { provider: 'backup', amount: '0.03' },
        ],
        spendLimits: { at: '0.02' },
      },
    });
    const ids: string[] = [];
    for (const to of numbers(3)) {
      const sent = await gateway.call('POST', '/v1/messages?wait=true', { body: { to, text: 'hi' } });
      ids.push(sent.body.id);
    }
    const third = await gateway.call('GET', `/v1/messages/${ids[2]}`);
    expect(third.body.provider).toBe('backup');
    expect(third.body.routingReason).toContain('at skipped (spend-limit)');
    const audit = await eventually(async () => {
      const page = await gateway.call('GET', '/v1/admin/audit?subject=provider:at', { key: ADMIN_KEY });
      return page.body.entries.length > 0 ? page.body.entries : undefined;
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'provider.spend-limit', actor: 'safeguard' });
    const report = await gateway.call('GET', '/v1/reports/costs?groupBy=provider', { key: ADMIN_KEY });
    expect(report.body.rows).toEqual([
      { provider: 'at', messages: 2, cost: '0.020000' },
      { provider: 'backup', messages: 1, cost: '0.030000' },
    ]);
    expect(report.body.total).toBe('0.050000');
  });
});

describe('a campaign on a route of its own', () => {
  // The route a campaign names carries all of it, whatever route its messages would match.
  const routing = {
    routes: [
      { id: 'bulk-at', match: { tags: ['bulk-at'] }, providers: ['at'] },
      { id: 'sms', providers: ['backup', 'at'] },
    ],
  };

  it('goes through the named route on the bulk path and one by one; without one, through the matching route', async () => {
    const { simulator, gateway } = await setUp({ routing });
    const bulk = await runCampaign(gateway, numbers(4), { route: 'bulk-at' });
    expect(bulk.map((result) => result.provider)).toEqual(['at', 'at', 'at', 'at']);
    expect(new Set(bulk.map((result) => result.bulkId)).size).toBe(1);
    const message = await gateway.call('GET', `/v1/messages/${bulk[0].messageId}`);
    expect(message.body.routingReason).toContain('route "bulk-at" (tags bulk-at), named by the override');
    const matched = await runCampaign(gateway, numbers(2), {});
    expect(matched.map((result) => result.provider)).toEqual(['backup', 'backup']);

    await gateway.call('PUT', '/v1/campaigns/bulk-rollout', {
      key: ADMIN_KEY,
      body: { enabled: false, reason: 'one by one' },
    });
    const before = simulator.requests.length;
    const single = await runCampaign(gateway, numbers(3), { route: 'bulk-at' });
    expect(single.map((result) => [result.provider, result.bulkId])).toEqual([
      ['at', undefined],
      ['at', undefined],
      ['at', undefined],
    ]);
    expect(simulator.requests.length - before).toBe(3);
    const listed = await gateway.call('GET', '/v1/campaigns');
    expect(listed.body.campaigns.map((campaign: any) => campaign.route)).toEqual([
      'bulk-at',
      undefined,
      'bulk-at',
    ]);
  });

  it('refuses an unknown route, and a route with a provider, before anything is stored', async () => {
    const { gateway } = await setUp({ routing });
    const unknown = await gateway.call('POST', '/v1/campaigns', {
      body: { template: { text: 'hi' }, recipients: numbers(1), route: 'nowhere' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues).toEqual([
      { path: 'route', message: 'unknown route "nowhere" (routes: bulk-at, sms)' },
    ]);
    const both = await gateway.call('POST', '/v1/campaigns', {
      body: { template: { text: 'hi' }, recipients: numbers(1), route: 'bulk-at', provider: 'at' },
    });
    expect(both.status).toBe(400);
    expect(both.body.error.issues).toEqual([
      { path: 'route', message: 'a campaign names a route or a provider, not both' },
    ]);
    const list = await gateway.call('GET', '/v1/campaigns');
    expect(list.body.campaigns).toEqual([]);
  });
});

describe('least-cost routing through the gateway', () => {
  it('sends to the cheapest provider for the destination by the price table, and says so', async () => {
    const gateway = await startGateway({
      plugins: [
        { resolve: '@msg/plugin-console', id: 'dear', options: { silent: true } },
        { resolve: '@msg/plugin-console', id: 'cheap', options: { silent: true } },
      ],
      routing: { routes: [{ id: 'sms', strategy: 'least-cost', providers: ['dear', 'cheap'] }] },
      costs: {
        prices: [
          { provider: 'dear', amount: '0.0300' },
          { provider: 'cheap', destination: '+260', amount: '0.0100' },
          { provider: 'cheap', amount: '0.0500' },
        ],
      },
    });
    running.push(gateway);
    const zambia = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'hi' },
    });
    expect(zambia.body.provider).toBe('cheap');
    expect(zambia.body.routingReason).toContain('least cost cheap 10000 < dear 30000');
    const kenya = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+254711000001', text: 'hi' },
    });
    expect(kenya.body.provider).toBe('dear');
  });
});
