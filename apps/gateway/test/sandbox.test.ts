// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the test short.
import { fileURLToPath } from 'node:url';
import { rolloutBucket } from '@msg/core';
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

  const deliveredOf = (id: string) =>
    eventually(async () => {
      const read = await call('GET', `/v1/messages/${id}`);
      return read.status === 'delivered' ? read : undefined;
    }, 10_000);

  it('sends through the Twilio simulator and shows its delivery receipt a moment later', async () => {
    // A number the 10% twilio-to-sns rollout keeps on Twilio (SNS has no delivery receipts).
    let to = '';
    for (let suffix = 1000; !to; suffix++) {
      const candidate = `+1415555${suffix}`;
      if (rolloutBucket('twilio-to-sns', candidate) >= 10) to = candidate;
    }
    const sent = await call('POST', '/v1/messages', { to, text: 'Hello from @msg' });
    const message = await deliveredOf(sent.id);
    expect(message.provider).toBe('twilio');
    expect(message.events.map((event: { status: string }) => event.status)).toContain('delivered');
  });

  it("routes Zambian numbers by carrier prefix to the carrier or, by rollout, to Africa's Talking", async () => {
    for (const [to, route] of [
      ['+260961234567', ['mtn', 'africastalking']],
      ['+260971234567', ['airtel', 'africastalking']],
      ['+260951234567', ['zamtel', 'africastalking']],
    ] as const) {
      const sent = await call('POST', '/v1/messages?wait=true', { to, text: 'Muli bwanji' });
      expect(route, `${to} went to ${sent.provider}`).toContain(sent.provider);
    }
    const mtn = await call('POST', '/v1/messages', { to: '+260761234567', text: 'receipt please' });
    const delivered = await deliveredOf(mtn.id);
    expect(['mtn', 'africastalking']).toContain(delivered.provider);
  });

  it('sends European numbers through the Vonage simulator, or by rollout the Mitto one, with their receipts', async () => {
    const pick = (onMitto: boolean) => {
      for (let suffix = 1000; ; suffix++) {
        const candidate = `+44740012${suffix}`;
        if (rolloutBucket('vonage-to-mitto', candidate) < 20 === onMitto) return candidate;
      }
    };
    for (const [to, provider] of [
      [pick(false), 'vonage'],
      [pick(true), 'mitto'],
    ] as const) {
      const sent = await call('POST', '/v1/messages', { to, text: 'Hello Europe' });
      const message = await deliveredOf(sent.id);
      expect(message.provider, to).toBe(provider);
    }
  });

  it('sends WhatsApp through the Cloud API simulator and records it read', async () => {
    const sent = await call('POST', '/v1/messages', {
      channel: 'whatsapp',
      to: '+260971234567',
      text: 'Muli bwanji',
    });
    const message = await eventually(async () => {
      const read = await call('GET', `/v1/messages/${sent.id}`);
      return read.status === 'read' ? read : undefined;
    }, 10_000);
    expect(message.provider).toBe('whatsapp');
  });

  it('sends email through the SendGrid or SES simulator and records its delivery', async () => {
    const sent = await call('POST', '/v1/messages', {
      from: 'app@example.com',
      to: 'user@example.com',
      subject: 'Hi',
      text: 'sandbox',
    });
    const message = await deliveredOf(sent.id);
    expect(['sendgrid', 'ses']).toContain(message.provider);
  });
});
