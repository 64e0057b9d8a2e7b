import { createTwilioSimulator } from '@msg/plugin-twilio/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../src/container.js';
import { eventually, startGateway, type TestGateway, twilioEntry } from './helpers.js';

const TWILIO_SID = `AC${'5'.repeat(32)}`;
const TWILIO_TOKEN = 'twilio-auth-token-rate';
const MESSAGES = 100;

describe('a provider answering half of its requests 429 with Retry-After: 2', () => {
  let twilio: ReturnType<typeof createTwilioSimulator>;
  let gateway: TestGateway;

  beforeAll(async () => {
    twilio = createTwilioSimulator({ accounts: { [TWILIO_SID]: TWILIO_TOKEN } });
    await twilio.start();
    gateway = await startGateway({
      plugins: [twilioEntry({ sid: TWILIO_SID, token: TWILIO_TOKEN, baseUrl: twilio.url })],
      // Retry rounds would take the refused ones later: this measures the router's waits alone.
      dispatch: { concurrency: MESSAGES, retryRounds: { maxRounds: 0 } },
      // Three waits of 2 s per message keep the test short; the default (10 s) waits five.
      routing: {
        defaults: { retry: { rateLimitWaitMs: 6000 } },
        routes: [{ id: 'sms', providers: ['twilio'] }],
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await twilio?.stop();
  });

  it('still delivers most of the traffic: back-pressure is waited out, and the breaker stays closed', async () => {
    // Twilio's own 429 (code 20429, Retry-After: 2), for a seeded half of the requests.
    twilio.setFaults({ errorRate: 0.5, error: '20429' });
    const batch = await gateway.call('POST', '/v1/messages/batch', {
      body: {
        messages: Array.from({ length: MESSAGES }, (_, index) => ({
          to: `+2609712${String(index).padStart(5, '0')}`,
          text: `message ${index}`,
        })),
      },
    });
    expect(batch.body.accepted).toBe(MESSAGES);
    const store = gateway.gateway.container.get(Tokens.MessageStore);
    await eventually(async () => {
      const counts = await store.countByDispatchState();
      return counts.done === MESSAGES ? true : undefined;
    }, 20_000);
    const ids: string[] = batch.body.results.map((result: { id: string }) => result.id);
    const messages = await Promise.all(ids.map((id) => store.get(id)));
    const failed = messages.filter((message) => message?.status === 'failed');
    // Each message gets four tries (three 2 s waits): 15 in 16 get through at a 50 % refusal rate.
    expect(failed.length / MESSAGES).toBeLessThan(0.2);
    const refused = twilio.requests.length - (MESSAGES - failed.length);
    expect(refused).toBeGreaterThan(30);
    const providers = await gateway.call('GET', '/v1/providers');
    expect(providers.body.providers[0].breaker).toBe('closed');
  }, 30_000);
});
