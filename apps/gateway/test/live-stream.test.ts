// biome-ignore-all lint/suspicious/noExplicitAny: event payloads are asserted on, any keeps the tests short.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAcmePair } from './acme-pair.js';
import { ADMIN_KEY, API_KEY, eventually, startGateway, type TestGateway } from './helpers.js';

const MIGRATION = 'a-to-b';

interface StreamEvent {
  event: string;
  data: any;
}

/** Opens `/v1/stream` and collects its events until `close()`. */
async function openStream(url: string, key: string) {
  const controller = new AbortController();
  const response = await request(`${url}/v1/stream`, {
    headers: { authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  const events: StreamEvent[] = [];
  let buffer = '';
  const reading = (async () => {
    try {
      for await (const chunk of response.body) {
        buffer += chunk.toString();
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {}
  })();
  return {
    response,
    events,
    last: (event: string) => events.filter((item) => item.event === event).at(-1)?.data,
    /** Resolves when the server ends the stream. */
    ended: reading,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

describe('the live feed (GET /v1/stream)', () => {
  const pair = useAcmePair();
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      plugins: pair.plugins(),
      routing: {
        routes: [
          {
            id: 'sms',
            match: { channel: 'sms' },
            providers: ['acme-a', 'acme-b'],
            migration: { id: MIGRATION, from: ['acme-a'], to: ['acme-b'], percentage: 0 },
          },
        ],
      },
    });
  });
  afterAll(() => gateway?.stop());

  it('is for operators only', async () => {
    const response = await request(`${gateway.url}/v1/stream`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(response.statusCode).toBe(403);
    await response.body.dump();
  });

  it('pushes providers with their last minute at once and every second, and migrations when they change', async () => {
    const stream = await openStream(gateway.url, ADMIN_KEY);
    try {
      expect(stream.response.headers['content-type']).toContain('text/event-stream');
      const first = await eventually(async () => stream.last('providers'));
      expect(first.providers.map((provider: any) => provider.id)).toEqual(['acme-a', 'acme-b']);
      expect(first.providers[0]).toMatchObject({
        channel: 'sms',
        breaker: 'closed',
        halted: false,
        inFlight: 0,
        activity: { sendsPerMinute: 0, errorsPerMinute: 0 },
      });
      const migrations = await eventually(async () => stream.last('migrations'));
      expect(migrations.migrations[0]).toMatchObject({ id: MIGRATION, percentage: 0, mode: 'gradual' });

      // Three messages on acme-a (0 % on acme-b); one call fails and is tried again (retry or failover).
      pair.first.failNext('unavailable');
      for (let index = 0; index < 3; index++) {
        const sent = await gateway.call('POST', '/v1/messages?wait=true', {
          body: { to: `+26097123456${index}`, text: 'live' },
        });
        expect(sent.status).toBe(200);
      }
      const total = (providers: any[], field: string) =>
        providers.reduce((sum, provider) => sum + provider.activity[field], 0);
      const counted = await eventually(async () => {
        const providers = stream.last('providers')?.providers;
        return providers && total(providers, 'sendsPerMinute') === 4 ? providers : undefined;
      }, 4000);
      expect(total(counted, 'errorsPerMinute')).toBe(1);
      expect(counted[0].activity).toMatchObject({ errorsPerMinute: 1, meanLatencyMs: expect.any(Number) });

      const migrationEvents = () => stream.events.filter((item) => item.event === 'migrations').length;
      const before = migrationEvents();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Nothing changed: no migrations event on the ticks in between.
      expect(migrationEvents()).toBe(before);
      const changed = await gateway.call('POST', `/v1/admin/migrations/${MIGRATION}/percentage`, {
        key: ADMIN_KEY,
        body: { percentage: 25, reason: 'next step' },
      });
      expect(changed.status).toBe(200);
      const pushed = await eventually(async () => {
        const latest = stream.last('migrations')?.migrations[0];
        return latest?.percentage === 25 ? latest : undefined;
      }, 500);
      expect(pushed).toMatchObject({ source: 'runtime', updatedBy: 'operator', reason: 'next step' });
    } finally {
      await stream.close();
    }
  });

  it('serves ten streams from one snapshot and lets a stopping gateway close them', async () => {
    const streams = await Promise.all(Array.from({ length: 10 }, () => openStream(gateway.url, ADMIN_KEY)));
    await eventually(async () => (streams.every((stream) => stream.last('providers')) ? true : undefined));
    // Every stream got the same bytes of the same tick.
    const ticks = streams.map((stream) => stream.last('providers').at);
    expect(new Set(ticks).size).toBeLessThanOrEqual(2);
    // Open streams must not hold the shutdown: the gateway ends them as it begins to stop.
    const started = Date.now();
    const stopping = gateway.stop();
    await Promise.all(streams.map((stream) => stream.ended));
    expect(Date.now() - started).toBeLessThan(1000);
    await stopping;
  });
});
