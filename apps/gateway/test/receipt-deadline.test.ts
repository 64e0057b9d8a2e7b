import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LookupSimulator } from './fixtures/lookup-simulator.js';
import { eventually, startGateway, type TestGateway } from './helpers.js';

const SECRET = 'fixture-webhook-secret';

/** A client app's callback endpoint: keeps every body it is sent. */
async function callbackReceiver() {
  const bodies: Array<Record<string, unknown>> = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
    response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('receipt deadline: every message reaches a final status or unknown', () => {
  let simulator: LookupSimulator;
  const running: TestGateway[] = [];
  beforeAll(async () => {
    simulator = new LookupSimulator();
    await simulator.start();
  });
  afterEach(async () => {
    simulator.reset();
    await Promise.all(running.splice(0).map((gateway) => gateway.stop()));
  });
  afterAll(() => simulator.stop());

  const statusOf = (gateway: TestGateway, id: string, status: string) =>
    eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${id}`);
      return read.body.status === status ? read.body : undefined;
    });

  it('ends a message unknown when nothing came by its deadline, and a late receipt still moves it on', async () => {
    const gateway = await startGateway({
      plugins: [
        {
          resolve: './test/fixtures/lookup-plugin.ts',
          id: 'fx',
          options: { baseUrl: simulator.url, webhookSecret: SECRET, lookUp: false },
        },
      ],
      receipts: { deadlineMs: 300, windowMs: 60_000 },
      sweeper: { intervalMs: 20 },
    });
    running.push(gateway);
    const client = await callbackReceiver();
    try {
      const sent = await gateway.call('POST', '/v1/messages?wait=true', {
        body: { to: '+260971700001', text: 'x', callbackUrl: client.url },
      });
      expect(sent.body).toMatchObject({ status: 'sent', receiptDueAt: expect.any(String) });
      const unknown = await statusOf(gateway, sent.body.id, 'unknown');
      expect(Date.parse(unknown.updatedAt) - Date.parse(sent.body.updatedAt)).toBeGreaterThanOrEqual(300);
      expect(unknown.receiptDueAt).toBeUndefined();
      expect(unknown.events).toEqual([
        expect.objectContaining({
          status: 'unknown',
          providerStatus: 'receipt-deadline',
          provider: 'fx',
          detail: expect.objectContaining({ source: 'gateway' }),
        }),
      ]);
      await eventually(async () => (client.bodies.length >= 2 ? true : undefined));
      expect(client.bodies[1]).toMatchObject({
        sequence: 2,
        status: 'unknown',
        providerStatus: 'receipt-deadline',
      });

      const late = await gateway.call('POST', '/webhooks/fx', {
        key: null,
        raw: JSON.stringify({ id: sent.body.providerMessageId, status: 'delivered', at: Date.now() }),
        headers: { 'x-fixture-secret': SECRET },
      });
      expect(late.status).toBe(200);
      await statusOf(gateway, sent.body.id, 'delivered');
      await eventually(async () => (client.bodies.length >= 3 ? true : undefined));
      expect(client.bodies.map((body) => body.status)).toEqual(['sent', 'unknown', 'delivered']);
      const metrics = (await gateway.call('GET', '/metrics', { key: null })).body as string;
      expect(metrics).toContain('msg_receipt_deadlines_total{reason="receipt-deadline"} 1');
    } finally {
      await client.close();
    }
  });

  it('waits for nothing from a provider that reports no delivery (SNS): unknown as soon as it is sent', async () => {
    const gateway = await startGateway({
      sandbox: true,
      plugins: [{ resolve: '@msg/plugin-sns', id: 'sns', options: {} }],
    });
    running.push(gateway);
    const sent = await gateway.call('POST', '/v1/messages', { body: { to: '+260971700002', text: 'x' } });
    const unknown = await statusOf(gateway, sent.body.id, 'unknown');
    expect(unknown).toMatchObject({
      provider: 'sns',
      dispatch: 'done',
      events: [{ status: 'unknown', providerStatus: 'no-receipts', provider: 'sns' }],
    });
    const metrics = (await gateway.call('GET', '/metrics', { key: null })).body as string;
    expect(metrics).toContain('msg_receipt_deadlines_total{reason="no-receipts"} 1');
  });
});
