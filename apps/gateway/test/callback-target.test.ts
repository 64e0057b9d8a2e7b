import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackTargetPolicy, type ResolveHost } from '../src/callbacks/callback-target.js';
import { CallbackWorker } from '../src/callbacks/callback-worker.js';
import { GatewayMetrics } from '../src/metrics.js';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { eventually, memoryLogger, startGateway, type TestGateway } from './helpers.js';

describe('callback target policy', () => {
  it('refuses internal addresses given literally, however they are spelt', () => {
    const policy = new CallbackTargetPolicy();
    for (const url of [
      'http://127.0.0.1:8080/cb',
      'http://0x7f.1/cb',
      'http://2130706433/cb',
      'http://[::1]/cb',
      'http://[::ffff:127.0.0.1]/cb',
      'http://localhost:3000/cb',
      'http://api.localhost/cb',
      'http://10.1.2.3/cb',
      'http://172.20.0.1/cb',
      'http://192.168.1.1/cb',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://100.100.100.200/latest/meta-data/',
      'http://[fe80::1]/cb',
      'http://224.0.0.1/cb',
      'http://0.0.0.0/cb',
      'http://[::]/cb',
    ]) {
      expect(policy.checkUrl(url), url).toMatch(/address; list it in callbacks\.allow/);
    }
    expect(policy.checkUrl('ftp://example.com/cb')).toBe('must be an http(s) URL');
    expect(policy.checkUrl('not a url')).toBe('must be an http(s) URL');
    for (const url of [
      'https://hooks.example.com/cb',
      'http://93.184.215.14/cb',
      'http://[2001:db8::1]/cb',
    ]) {
      expect(policy.checkUrl(url), url).toBeUndefined();
    }
  });

  it('lets the config allow what the default refuses, and deny more; deny wins', () => {
    const policy = new CallbackTargetPolicy({
      allow: ['127.0.0.1', '10.0.0.0/8'],
      deny: ['10.9.0.0/16', '93.184.215.0/24'],
    });
    expect(policy.checkUrl('http://127.0.0.1:9000/cb')).toBeUndefined();
    expect(policy.checkUrl('http://localhost:9000/cb')).toBeUndefined();
    expect(policy.checkUrl('http://10.1.2.3/cb')).toBeUndefined();
    expect(policy.checkUrl('http://10.9.1.1/cb')).toBe('10.9.1.1 is refused by callbacks.deny');
    expect(policy.checkUrl('http://93.184.215.14/cb')).toBe('93.184.215.14 is refused by callbacks.deny');
    expect(policy.checkUrl('http://127.0.0.2/cb')).toMatch(/loopback/);
  });
});

describe('callbackUrl at accept', () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  it('answers 400 naming callbackUrl for a loopback, private or metadata address, and stores nothing', async () => {
    gateway = await startGateway({
      plugins: [{ resolve: '@msg/plugin-console', id: 'console', options: { silent: true } }],
    });
    for (const callbackUrl of [
      'http://127.0.0.1:9/cb',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
    ]) {
      const response = await gateway.call('POST', '/v1/messages', {
        body: { to: '+260971234567', text: 'x', callbackUrl },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.issues).toEqual([
        { path: 'callbackUrl', message: expect.stringContaining('callbacks.allow') },
      ]);
    }
    const allowed = await gateway.call('POST', '/v1/messages', {
      body: { to: '+260971234567', text: 'x', callbackUrl: 'https://hooks.example.com/msg' },
    });
    expect(allowed.status).toBe(202);
  });
});

/** A client endpoint on loopback that counts what reaches it. */
async function receiver() {
  const bodies: string[] = [];
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    bodies.push(body);
    response.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('callback delivery after DNS resolution', () => {
  async function deliverOnce(policy: CallbackTargetPolicy, url: string) {
    const store = new SqliteMessageStore({ path: ':memory:' });
    const logger = memoryLogger();
    const worker = new CallbackWorker({
      store,
      secret: 'callback-secret-0123456789',
      attempts: 3,
      timeoutMs: 2000,
      initialBackoffMs: 10,
      maxBackoffMs: 20,
      logger,
      metrics: new GatewayMetrics(),
      now: Date.now,
      pollIntervalMs: 10,
      targets: policy,
    });
    const message = {
      id: 'msg_callback',
      channel: 'sms' as const,
      message: { id: 'msg_callback', channel: 'sms' as const, to: '+260971234567', text: 'x' },
      status: 'queued' as const,
      dispatchState: 'queued' as const,
      apiKeyId: 'client',
      createdAt: 1,
      updatedAt: 1,
    };
    await store.accept(message);
    await store.enqueueCallback(message.id, url, '{"status":"sent"}', 0);
    worker.start();
    // Done once nothing is pending any more: delivered, or given up.
    await eventually(async () =>
      (await store.dueCallbacks(Number.MAX_SAFE_INTEGER, 1)).length === 0 ? true : undefined,
    );
    await worker.stop();
    await store.close();
    return logger;
  }

  it('refuses a host name that resolves to a denied address, without connecting, and gives it up at once', async () => {
    const client = await receiver();
    const asked: string[] = [];
    const resolve: ResolveHost = async (hostname) => {
      asked.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const logger = await deliverOnce(
      new CallbackTargetPolicy({ resolve }),
      `http://client.test:${client.port}/cb`,
    );
    await client.close();
    expect(client.bodies).toEqual([]);
    expect(asked).toEqual(['client.test']);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(
          /refused: callback host client\.test resolves to 127\.0\.0\.1 is a loopback/,
        ),
      }),
    );
  });

  it('connects to the very address it checked: a rebinding answer on a second lookup is never used', async () => {
    const client = await receiver();
    let lookups = 0;
    // The first answer is the allowed one; any later lookup would point at the metadata service.
    const resolve: ResolveHost = async () => {
      lookups++;
      return [{ address: lookups === 1 ? '127.0.0.1' : '169.254.169.254', family: 4 }];
    };
    await deliverOnce(
      new CallbackTargetPolicy({ allow: ['127.0.0.1'], resolve }),
      `http://client.test:${client.port}/cb`,
    );
    await client.close();
    expect(client.bodies.map((body) => JSON.parse(body).status)).toEqual(['sent']);
    expect(lookups).toBe(1);
  });
});
