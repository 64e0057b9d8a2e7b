import { afterEach, expect, it } from 'vitest';
import { ADMIN_KEY, eventually, startGateway, type TestGateway } from './helpers.js';
import { describePostgres, dropSchema, POSTGRES_URL, testSchema } from './postgres.js';

describePostgres('campaigns and credits on PostgreSQL, two gateway instances', () => {
  const running: TestGateway[] = [];
  let schema = '';
  afterEach(async () => {
    await Promise.all(running.splice(0).map((gateway) => gateway.stop()));
    if (schema) await dropSchema(schema);
  });

  async function instances(): Promise<[TestGateway, TestGateway]> {
    schema = testSchema();
    const config = {
      store: { driver: 'postgres', url: POSTGRES_URL, schema, poolSize: 4 },
      plugins: [{ resolve: '@msg/plugin-console', id: 'console', options: { silent: true } }],
      costs: { currency: 'USD', prices: [{ provider: 'console', destination: '*', amount: '0.0125' }] },
      credits: { enabled: true },
    };
    // One after the other: the first applies the schema migrations and takes the leader lock.
    const first = await startGateway(config);
    running.push(first);
    const second = await startGateway(config);
    running.push(second);
    return [first, second];
  }

  it('sends a campaign started on either instance once per recipient, at its rate cap for the fleet, settling the credits', async () => {
    const [first, second] = await instances();
    const top = await first.call('POST', '/v1/credits/client/top-ups', {
      key: ADMIN_KEY,
      body: { amount: '10.00', reference: 'invoice 1' },
    });
    expect(top.status).toBe(201);
    const recipients = Array.from(
      { length: 150 },
      (_, index) => `+26097${String(2_000_000 + index).slice(-7)}`,
    );
    const created = await second.call('POST', '/v1/campaigns', {
      body: { template: { text: 'Hi' }, ratePerSecond: 50, recipients },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const started = await first.call('POST', `/v1/campaigns/${id}/start`);
    expect(started.status).toBe(200);
    // The reservation is in the shared ledger at once, whichever instance asks.
    expect((await second.call('GET', '/v1/credits')).body).toMatchObject({ held: '1.875000' });
    const done = await eventually(async () => {
      const view = await second.call('GET', `/v1/campaigns/${id}`);
      return view.body.state === 'completed' ? view.body : undefined;
    }, 20_000);
    expect(done.progress.byStatus).toEqual({ delivered: 150 });
    expect(done.progress.cost).toBe('1.875000');
    const balance = await first.call('GET', '/v1/credits');
    expect(balance.body).toMatchObject({ balance: '8.125000', held: '0.000000', debited: '1.875000' });

    const results: Array<{ messageId: string }> = [];
    let next: string | undefined = `/v1/campaigns/${id}/results?limit=100`;
    while (next) {
      const page: { body: { results: Array<{ messageId: string }>; next?: string } } = await first.call(
        'GET',
        next,
      );
      results.push(...page.body.results);
      next = page.body.next;
    }
    expect(new Set(results.map((result) => result.messageId)).size).toBe(150);
    // 50 a second for the campaign, not per instance: 150 messages take two seconds after the first 50.
    const created_at = await Promise.all(
      results.map(async (result) => (await first.call('GET', `/v1/messages/${result.messageId}`)).body),
    );
    const times = created_at.map((message) => Date.parse(message.createdAt)).sort((a, b) => a - b);
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual(1500);
  }, 60_000);
});
