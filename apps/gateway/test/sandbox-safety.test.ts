import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../src/plugins/loopback-guard.js';
import { eventually, startGateway, type TestGateway } from './helpers.js';

describe('sandbox safety', () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    delete process.env.FIXTURE_SIMULATOR_URL;
  });

  it('refuses to start a plugin given by path that has no simulator, instead of sending for real', async () => {
    await expect(
      startGateway({
        sandbox: true,
        plugins: [{ resolve: './test/fixtures/slow-plugin.ts', id: 'slow', options: {} }],
      }),
    ).rejects.toMatchObject({
      code: 'MSG_ERR_PLUGIN_SANDBOX',
      message: expect.stringMatching(
        /instance "slow" cannot run in the sandbox: .*has no "\.\/simulator" export/,
      ),
    });
  });

  it('loads a plugin given by a folder from its package.json and starts its simulator', async () => {
    const simulator = createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
    });
    simulator.listen(0, '127.0.0.1');
    await once(simulator, 'listening');
    const { port } = simulator.address() as { port: number };
    process.env.FIXTURE_SIMULATOR_URL = `http://127.0.0.1:${port}/`;
    try {
      gateway = await startGateway({
        sandbox: true,
        plugins: [
          {
            resolve: './test/fixtures/http-plugin',
            id: 'http',
            options: { url: 'https://example.com', apiKey: 'real-key' },
          },
        ],
      });
      const sent = await gateway.call('POST', '/v1/messages?wait=true', {
        body: { to: '+260971234567', text: 'hi' },
      });
      expect(sent.body).toMatchObject({ status: 'sent', provider: 'http' });
    } finally {
      simulator.close();
    }
  });

  it('says what to write when resolve names a folder with no package entry', async () => {
    await expect(
      startGateway({ plugins: [{ resolve: './test/fixtures/empty-folder', id: 'empty', options: {} }] }),
    ).rejects.toMatchObject({
      code: 'MSG_ERR_PLUGIN_NOT_FOUND',
      message: expect.stringContaining(
        "point resolve at the plugin's entry file (e.g. ./test/fixtures/empty-folder/dist/index.js)",
      ),
    });
  });

  it('never lets a connection leave the loopback interface, whatever options a simulator hands out', async () => {
    // TEST-NET-3: never routed; without the guard the send would try to reach it.
    process.env.FIXTURE_SIMULATOR_URL = 'http://203.0.113.7:8080/';
    gateway = await startGateway({
      sandbox: true,
      plugins: [{ resolve: './test/fixtures/http-plugin', id: 'http', options: { url: 'x', apiKey: 'k' } }],
      routing: { defaults: { retry: { maxRetries: 0 } }, routes: [{ id: 'sms', providers: ['http'] }] },
      // The refusal is transient: without retry rounds it fails at once, where the test reads it.
      dispatch: { retryRounds: { maxRounds: 0 } },
    });
    const sent = await gateway.call('POST', '/v1/messages', { body: { to: '+260971234567', text: 'hi' } });
    const failed = await eventually(async () => {
      const read = await gateway?.call('GET', `/v1/messages/${sent.body.id}`);
      return read?.body.status === 'failed' ? read.body : undefined;
    });
    expect(failed.attempts[0].error).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED' });
    expect(failed.attempts[0].error.message).toContain('refused a connection to 203.0.113.7:8080');
    expect(
      gateway.logger.lines.some((line) => line.level === 'error' && line.message.includes('203.0.113.7')),
    ).toBe(true);
  });

  it('removes the guard when the sandbox stops', async () => {
    const before = Socket.prototype.connect;
    process.env.FIXTURE_SIMULATOR_URL = 'http://127.0.0.1:9/';
    gateway = await startGateway({
      sandbox: true,
      plugins: [{ resolve: './test/fixtures/http-plugin', id: 'http', options: { url: 'x', apiKey: 'k' } }],
    });
    expect(Socket.prototype.connect).not.toBe(before);
    await gateway.stop();
    gateway = undefined;
    expect(Socket.prototype.connect).toBe(before);
  });

  it('knows loopback addresses', () => {
    for (const host of ['localhost', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '10.0.0.1',
      '203.0.113.7',
      'api.twilio.com',
      '::ffff:10.0.0.1',
      'localhost.evil.com',
      '0.0.0.0',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
