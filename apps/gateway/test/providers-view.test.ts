import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers.js';

describe('GET /v1/providers scores', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({
      plugins: [
        { resolve: '@msg/plugin-console', id: 'first-in-config', options: { silent: true } },
        { resolve: '@msg/plugin-console', id: 'second-in-config', options: { silent: true } },
      ],
      routing: {
        // Only the route's order counts, and the route lists the providers against config order.
        health: { weights: { health: 0, priority: 100, latency: 0, load: 0 } },
        routes: [
          { id: 'tagged', match: { tags: ['b'] }, providers: ['first-in-config'] },
          { id: 'sms', providers: ['second-in-config', 'first-in-config'] },
        ],
      },
    });
  });
  afterAll(() => gateway?.stop());

  it("scores each provider with the router's weights and each route's order", async () => {
    const response = await gateway.call('GET', '/v1/providers');
    const byId = Object.fromEntries(
      response.body.providers.map((provider: { id: string }) => [provider.id, provider]),
    );
    expect(byId['second-in-config']).toMatchObject({ score: 100, scores: { sms: 100 } });
    expect(byId['first-in-config']).toMatchObject({ score: 100, scores: { tagged: 100, sms: 0 } });
  });
});
