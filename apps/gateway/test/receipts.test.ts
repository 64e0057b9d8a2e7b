import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LookupSimulator } from './fixtures/lookup-simulator.js';
import { eventually, gatewayPerTest, type TestGateway } from './helpers.js';

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

describe('receipts: deadline, status look-ups, matching to the right send', () => {
  let simulator: LookupSimulator;
  const startGateway = gatewayPerTest();

  beforeAll(async () => {
    simulator = new LookupSimulator();
    await simulator.start();
  });
  afterEach(() => simulator.reset());
  afterAll(() => simulator.stop());

  function gatewayWith(receipts: Record<string, unknown>, lookUp = true) {
    return startGateway({
      plugins: [
        {
          resolve: './test/fixtures/lookup-plugin.ts',
          id: 'fx',
          options: { baseUrl: simulator.url, webhookSecret: SECRET, lookUp },
        },
      ],
      receipts,
      sweeper: { intervalMs: 20 },
      callbacks: { allow: ['127.0.0.1'] },
    });
  }

  const read = async (gateway: TestGateway, id: string) =>
    (await gateway.call('GET', `/v1/messages/${id}`)).body;

  const statusOf = (gateway: TestGateway, id: string, status: string) =>
    eventually(async () => {
      const body = await read(gateway, id);
      return body.status === status ? body : undefined;
    });

  async function sendOne(gateway: TestGateway, to: string) {
    const sent = await gateway.call('POST', '/v1/messages?wait=true', { body: { to, text: 'x' } });
    expect(sent.body).toMatchObject({ dispatch: 'done', provider: 'fx' });
    return sent.body as { id: string; providerMessageId: string; updatedAt: string };
  }

  function receipt(gateway: TestGateway, providerMessageId: string, status: string) {
    return gateway.call('POST', '/webhooks/fx', {
      key: null,
      raw: JSON.stringify({ id: providerMessageId, status, at: Date.now() }),
      headers: { 'x-fixture-secret': SECRET },
    });
  }

  it('keeps a receipt that comes before its send is stored, and applies it once the send is', async () => {
    const callbacks = await callbackReceiver();
    try {
      const gateway = await gatewayWith({});
      const held = simulator.holdNextSend();
      const accepted = await gateway.call('POST', '/v1/messages', {
        body: { to: '+260971500009', text: 'x', callbackUrl: callbacks.url },
      });
      expect(accepted.status).toBe(202);
      const id = accepted.body.id as string;
      // The provider has the message and posts its receipt while the gateway awaits the answer.
      const providerMessageId = await held.arrived;
      expect((await receipt(gateway, providerMessageId, 'delivered')).status).toBe(200);
      held.release();
      const delivered = await statusOf(gateway, id, 'delivered');
      expect(delivered).toMatchObject({ providerMessageId });
      await eventually(async () =>
        callbacks.bodies.some((body) => body.id === id && body.status === 'delivered') ? true : undefined,
      );
      const metrics = await gateway.call('GET', '/metrics', { key: null });
      expect(String(metrics.body)).toMatch(/msg_webhook_events_total\{provider="fx",outcome="held"\} 1/);
    } finally {
      await callbacks.close();
    }
  });

  it('asks the provider for a message whose receipt is overdue, backing off, until it is final', async () => {
    const gateway = await gatewayWith({ reconcile: { afterMs: 100, maxBackoffMs: 10_000 } });
    const message = await sendOne(gateway, '+260971500001');
    // Waiting for a receipt until the default deadline, 72 h after the send.
    expect(message).toMatchObject({
      status: 'sent',
      receiptDueAt: new Date(Date.parse(message.updatedAt) + 72 * 3600 * 1000).toISOString(),
    });
    // The receipt was lost: the provider has it delivered, nobody told the gateway.
    await eventually(async () => (simulator.lookUps(message.providerMessageId) >= 1 ? true : undefined));
    simulator.setStatus(message.providerMessageId, 'delivered');
    const delivered = await statusOf(gateway, message.id, 'delivered');
    expect(delivered.events.map((event: { providerStatus: string }) => event.providerStatus)).toEqual([
      'accepted',
      'delivered',
    ]);
    const asked = simulator.lookUps(message.providerMessageId);
    // The second look-up came after a longer wait than the first (200 ms after it, not 100).
    const times = simulator.requests
      .filter((request) => request.method === 'GET')
      .map((request) => request.at);
    expect(times.length).toBe(asked);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(180);
    // Final: no more look-ups.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(simulator.lookUps(message.providerMessageId)).toBe(asked);
    const metrics = (await gateway.call('GET', '/metrics', { key: null })).body as string;
    expect(metrics).toContain('msg_reconciliations_total{provider="fx",outcome="updated"} 2');
  });

  it('tries a failed look-up again later, and stops at the receipt deadline', async () => {
    const gateway = await gatewayWith({
      deadlineMs: 700,
      windowMs: 60_000,
      reconcile: { afterMs: 100, maxBackoffMs: 100 },
    });
    const message = await sendOne(gateway, '+260971500002');
    // The first look-up finds the provider down.
    simulator.failNext('unavailable');
    const unknown = await statusOf(gateway, message.id, 'unknown');
    expect(unknown.events.at(-1)).toMatchObject({ status: 'unknown', providerStatus: 'receipt-deadline' });
    const metrics = (await gateway.call('GET', '/metrics', { key: null })).body as string;
    expect(metrics).toContain('msg_reconciliations_total{provider="fx",outcome="failed"} 1');
    expect(metrics).toMatch(/msg_reconciliations_total\{provider="fx",outcome="updated"\} [1-9]/);
    const asked = simulator.lookUps(message.providerMessageId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(simulator.lookUps(message.providerMessageId)).toBe(asked);
  });

  it('stores a receipt on the latest send with a reused provider id, never on an older finished one', async () => {
    const gateway = await gatewayWith({}, false);
    const sends: Array<{ id: string; providerMessageId: string }> = [];
    for (let run = 0; run < 4; run++) {
      // The SMSC restarted: its ids begin again at fx-1.
      simulator.restartIds();
      const message = await sendOne(gateway, `+26097150010${run}`);
      expect(message.providerMessageId).toBe('fx-1');
      expect((await receipt(gateway, 'fx-1', 'delivered')).status).toBe(200);
      expect((await read(gateway, message.id)).status).toBe('delivered');
      sends.push(message);
    }
    for (const message of sends) {
      const events = (await read(gateway, message.id)).events as Array<{ status: string }>;
      expect(events.map((event) => event.status)).toEqual(['delivered']);
    }
  });

  it('ends a message unknown when nothing came by its deadline, and a late receipt still moves it on', async () => {
    const gateway = await gatewayWith({ deadlineMs: 300, windowMs: 60_000 }, false);
    const client = await callbackReceiver();
    try {
      const sent = await gateway.call('POST', '/v1/messages?wait=true', {
        body: { to: '+260971700001', text: 'x', callbackUrl: client.url },
      });
      expect(sent.body).toMatchObject({ dispatch: 'done', provider: 'fx' });
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

      expect((await receipt(gateway, sent.body.providerMessageId, 'delivered')).status).toBe(200);
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
