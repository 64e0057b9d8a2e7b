import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonResponse, SimulatorServer } from '../src/simulator.js';
import { waitFor } from '../src/test-helpers.js';
import { webhookReceiver } from '../src/webhook-receiver.js';

describe('SimulatorServer', () => {
  let clock = 1_000_000;
  const simulator = new SimulatorServer({
    name: 'demo',
    now: () => clock,
    errors: { throttled: () => jsonResponse(429, { code: 'THROTTLED' }, { 'retry-after': '2' }) },
  });
  simulator
    .route('POST', '/v1/accounts/:account/messages', (request) => {
      request.credential = request.params.account;
      return jsonResponse(201, { id: 'm-1', echo: request.form().get('to') });
    })
    .route('POST', '/oauth/token', () => jsonResponse(200, { token: 't' }), { faults: false });

  beforeAll(() => simulator.start());
  afterAll(() => simulator.stop());

  const post = (path: string, body = 'to=%2B260971234567', signal?: AbortSignal) =>
    fetch(`${simulator.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      ...(signal ? { signal } : {}),
    });

  it('routes by path pattern and records the request with its credential', async () => {
    simulator.reset();
    const response = await post('/v1/accounts/AC1/messages');
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 'm-1', echo: '+260971234567' });
    expect(simulator.requests).toHaveLength(1);
    expect(simulator.requests[0]).toMatchObject({ method: 'POST', credential: 'AC1' });
    expect((await post('/nowhere')).status).toBe(404);
  });

  it('fails the next request with a catalogue error, then recovers', async () => {
    simulator.failNext('throttled');
    const failed = await post('/v1/accounts/AC1/messages');
    expect(failed.status).toBe(429);
    expect(failed.headers.get('retry-after')).toBe('2');
    expect((await post('/v1/accounts/AC1/messages')).status).toBe(201);
    expect(() => simulator.failNext('no-such-error')).toThrow(/unknown error/);
  });

  it('leaves routes marked without faults alone', async () => {
    simulator.setFaults({ errorRate: 1 });
    expect((await post('/oauth/token')).status).toBe(200);
    expect((await post('/v1/accounts/AC1/messages')).status).toBe(500);
    simulator.clearFaults();
  });

  it('fails about the configured fraction of requests under an error rate', async () => {
    simulator.setFaults({ errorRate: 0.3, error: 'throttled' });
    const statuses = [];
    for (let index = 0; index < 200; index++) statuses.push((await post('/v1/accounts/AC1/messages')).status);
    simulator.clearFaults();
    const failures = statuses.filter((status) => status === 429).length;
    expect(failures).toBeGreaterThan(35);
    expect(failures).toBeLessThan(85);
  });

  it('answers 503 inside an outage window only', async () => {
    simulator.setFaults({ outage: { from: clock, to: clock + 1000 } });
    expect((await post('/v1/accounts/AC1/messages')).status).toBe(503);
    clock += 1000;
    expect((await post('/v1/accounts/AC1/messages')).status).toBe(201);
    simulator.clearFaults();
  });

  it('adds latency, hangs and resets connections on demand', async () => {
    simulator.faultNext({ latencyMs: 120 });
    const started = Date.now();
    await post('/v1/accounts/AC1/messages');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);

    simulator.faultNext({ hang: true });
    const hung = post('/v1/accounts/AC1/messages', undefined, AbortSignal.timeout(150));
    await expect(hung).rejects.toThrow();

    simulator.faultNext({ reset: true });
    await expect(post('/v1/accounts/AC1/messages')).rejects.toThrow(/fetch failed/);
  });

  it('takes fault settings over HTTP from another process', async () => {
    const set = await fetch(`${simulator.url}/__simulator/fail-next`, {
      method: 'POST',
      body: JSON.stringify({ error: 'throttled', times: 2 }),
    });
    expect(set.status).toBe(200);
    expect((await post('/v1/accounts/AC1/messages')).status).toBe(429);
    expect((await post('/v1/accounts/AC1/messages')).status).toBe(429);
    expect((await post('/v1/accounts/AC1/messages')).status).toBe(201);
    const listing = (await (await fetch(`${simulator.url}/__simulator/requests`)).json()) as {
      count: number;
    };
    expect(listing.count).toBe(simulator.requests.length);
  });

  it('answers a bare status with any body in place of the route, locally or over HTTP', async () => {
    simulator.faultNext({ status: 502 });
    const bare = await post('/v1/accounts/AC1/messages');
    expect(bare.status).toBe(502);
    expect(await bare.text()).toBe('');
    await fetch(`${simulator.url}/__simulator/fault-next`, {
      method: 'POST',
      body: JSON.stringify({ status: 200, body: '{"id":', contentType: 'application/json' }),
    });
    const unreadable = await post('/v1/accounts/AC1/messages');
    expect(unreadable.status).toBe(200);
    expect(unreadable.headers.get('content-type')).toBe('application/json');
    expect(await unreadable.text()).toBe('{"id":');
    expect((await post('/v1/accounts/AC1/messages')).status).toBe(201);
  });

  it('counts the client connections open now', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = simulator.openConnections;
    await new Promise<void>((resolve, reject) => {
      const outgoing = httpRequest(
        `${simulator.url}/v1/accounts/AC1/messages`,
        { method: 'POST', agent },
        (answer) => {
          answer.resume();
          answer.on('end', resolve);
        },
      );
      outgoing.on('error', reject);
      outgoing.end('to=%2B260971234567');
    });
    expect(simulator.openConnections).toBe(before + 1);
    agent.destroy();
    await waitFor(() => simulator.openConnections === before, 1000);
  });
});

describe('StatusCallbacks', () => {
  it('delivers a callback after its delay and retries a receiver that fails', async () => {
    const failing = await webhookReceiver({ status: 503 });
    const working = await webhookReceiver();
    const simulator = new SimulatorServer({ name: 'cb', callbacks: { attempts: 2, retryDelayMs: 10 } });
    simulator.callbacks.schedule({ url: `${working.url}/hook`, headers: { 'x-sig': 's' }, body: 'a=1' }, 30);
    simulator.callbacks.schedule({ url: `${failing.url}/hook`, headers: {}, body: 'a=2' });
    await simulator.callbacks.idle();
    const [received] = await working.waitFor(1);
    expect(received?.headers['x-sig']).toBe('s');
    expect(Buffer.from(received?.rawBody ?? []).toString()).toBe('a=1');
    expect(failing.received).toHaveLength(2);
    expect(simulator.callbacks.delivered.map((callback) => callback.status).sort()).toEqual([200, 503]);
    await Promise.all([failing.close(), working.close(), simulator.stop()]);
  });
});
