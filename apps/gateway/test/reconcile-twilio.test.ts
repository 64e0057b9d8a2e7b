import { createTwilioSimulator } from '@msg/plugin-twilio/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway, twilioEntry } from './helpers.js';

const SID = `AC${'7'.repeat(32)}`;
const TOKEN = 'twilio-auth-token-reconcile';

describe('receipts lost on the way: the gateway asks Twilio itself', () => {
  let twilio: ReturnType<typeof createTwilioSimulator>;
  let gateway: TestGateway;

  beforeAll(async () => {
    twilio = createTwilioSimulator({ accounts: { [SID]: TOKEN }, callbackDelayMs: 20 });
    await twilio.start();
    gateway = await startGateway({
      // Status callbacks go where nothing listens: every receipt is lost.
      plugins: [
        twilioEntry(
          { sid: SID, token: TOKEN, baseUrl: twilio.url },
          { statusCallbackUrl: 'http://127.0.0.1:9/lost' },
        ),
      ],
      receipts: { reconcile: { afterMs: 100, maxBackoffMs: 200 } },
      sweeper: { intervalMs: 20 },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await twilio?.stop();
  });

  it("ends a message delivered from Twilio's message resource when no callback ever came", async () => {
    const sent = await gateway.call('POST', '/v1/messages', { body: { to: '+14155550100', text: 'hello' } });
    expect(sent.status).toBe(202);
    const delivered = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    });
    expect(delivered.provider).toBe('twilio');
    expect(delivered.events.map((event: { providerStatus: string }) => event.providerStatus)).toContain(
      'delivered',
    );
    const looked = twilio.requests.filter(
      (request) =>
        request.method === 'GET' && request.path.includes(`/Messages/${delivered.providerMessageId}`),
    );
    expect(looked.length).toBeGreaterThan(0);
  });
});
