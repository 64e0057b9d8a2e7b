import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from './helpers.js';

describe('receipts pushed by a provider over its own connection (SMPP)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({
      sandbox: true,
      plugins: [{ resolve: '@msg/plugin-airtel', id: 'airtel', options: {} }],
    });
  });
  afterAll(() => gateway?.stop());

  it('stores the SMSC delivery receipt of a three-part message as one delivered event', async () => {
    const sent = await gateway.call('POST', '/v1/messages', {
      body: { channel: 'sms', to: '+260971234567', text: 'x'.repeat(400) },
    });
    expect(sent.status).toBe(202);
    const message = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    });
    expect(message.provider).toBe('airtel');
    expect(message.segments).toBe(3);
    const delivered = message.events.filter((event: { status: string }) => event.status === 'delivered');
    expect(delivered).toHaveLength(1);
  });
});
