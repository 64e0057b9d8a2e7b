// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the test short.
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { eventually, memoryLogger } from './helpers.js';

const KEY = 'sk_sandbox_test_0123456789';

describe('the shipped sandbox config', () => {
  let gateway: Gateway;
  let url: string;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await request(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.body.json()) as Record<string, any>;
  };

  beforeAll(async () => {
    const loaded = await loadConfig(fileURLToPath(new URL('../sandbox/gateway.yaml', import.meta.url)), {
      MSG_API_KEY: KEY,
    });
    gateway = createGateway(loaded, {
      port: 0,
      logger: memoryLogger(),
      pluginConditions: ['@msg/source'],
      store: new SqliteMessageStore({ path: ':memory:' }),
    });
    url = (await gateway.start()).url;
  });
  afterAll(() => gateway?.stop({ timeoutMs: 1000 }));

  it('sends through the Twilio simulator and shows its delivery receipt a moment later', async () => {
    const sent = await call('POST', '/v1/messages', { to: '+260971234567', text: 'Hello from @msg' });
    const message = await eventually(async () => {
      const read = await call('GET', `/v1/messages/${sent.id}`);
      return read.status === 'delivered' ? read : undefined;
    });
    expect(message.provider).toBe('twilio');
    expect(message.events.map((event: { status: string }) => event.status)).toContain('delivered');
  });

  it('routes email to the console sink', async () => {
    const sent = await call('POST', '/v1/messages?wait=true', {
      from: 'app@example.com',
      to: 'user@example.com',
      subject: 'Hi',
      text: 'sandbox',
    });
    expect(sent).toMatchObject({ status: 'delivered', provider: 'console-email' });
  });
});
