import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTwilioSimulator, type TwilioSimulator } from '@msg/plugin-twilio/simulator';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { API_KEY, gatewayPerTest, type TestGateway, twilioEntry } from './helpers.js';

const TWILIO_SID = `AC${'5e'.repeat(16)}`;
const TWILIO_TOKEN = 'twilio-proxy-auth-token';
const REPORT_TOKEN = 'africastalking-report-token';
/** The provider's address, as the proxy reports it in X-Forwarded-For. */
const PROVIDER_ADDRESS = '203.0.113.7';

const gatewayWith = gatewayPerTest();

/**
 * A reverse proxy on its own port: `/public/<name>?query` goes to the gateway's
 * `/webhooks/<name>?query` with the body and headers unchanged, plus X-Forwarded-For.
 */
async function reverseProxy(target: () => string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const path = (incoming.url ?? '/').replace(/^\/public\//, '/webhooks/');
    const { host: _host, ...headers } = incoming.headers;
    const answer = await request(`${target()}${path}`, {
      method: 'POST',
      headers: { ...headers, 'x-forwarded-for': incoming.socket.remoteAddress ?? '' },
      body: Buffer.concat(chunks),
    });
    outgoing.writeHead(answer.statusCode).end(await answer.body.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a Twilio instance behind a reverse proxy', () => {
  let twilio: TwilioSimulator;
  let proxy: Awaited<ReturnType<typeof reverseProxy>>;
  let gatewayUrl = '';
  beforeAll(async () => {
    twilio = createTwilioSimulator({ accounts: { [TWILIO_SID]: TWILIO_TOKEN }, callbackDelayMs: 10 });
    await twilio.start();
    proxy = await reverseProxy(() => gatewayUrl);
  });
  afterAll(async () => {
    await twilio.stop();
    await proxy.close();
  });

  it('accepts the status callbacks Twilio signed for the statusCallbackUrl', async () => {
    const gateway = await gatewayWith({
      plugins: [
        twilioEntry(
          { sid: TWILIO_SID, token: TWILIO_TOKEN, baseUrl: twilio.url },
          { statusCallbackUrl: `${proxy.url}/public/twilio?via=proxy` },
        ),
      ],
    });
    gatewayUrl = gateway.url;
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'hi' },
    });
    await twilio.callbacks.idle();
    expect(twilio.callbacks.delivered.map((callback) => callback.status)).toEqual([200, 200]);
    const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
    expect(read.body.status).toBe('delivered');
    expect(read.body.events).toHaveLength(2);
  });
});

describe('server.trustProxy and webhook IP allow-lists', () => {
  const plugins = [
    {
      resolve: '@msg/plugin-africastalking',
      id: 'at',
      options: {
        username: 'acme',
        apiKey: 'at-api-key',
        baseUrl: 'http://127.0.0.1:9',
        webhookToken: REPORT_TOKEN,
        allowedIps: [`${PROVIDER_ADDRESS}/32`],
      },
    },
  ];

  /** A delivery report arriving from the local proxy, which names the provider in X-Forwarded-For. */
  const report = (gateway: TestGateway) =>
    gateway.call('POST', `/webhooks/at?token=${REPORT_TOKEN}`, {
      key: null,
      raw: 'id=ATXid_1&status=Success&phoneNumber=%2B260971234567',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': PROVIDER_ADDRESS,
      },
    });

  it('lets an allow-listed client through a trusted proxy', async () => {
    const gateway = await gatewayWith({
      plugins,
      server: { host: '127.0.0.1', port: 0, trustProxy: ['127.0.0.1'] },
    });
    expect((await report(gateway)).status).toBe(200);
  });

  it('trusts a hop count as that many proxies in front', async () => {
    const gateway = await gatewayWith({ plugins, server: { host: '127.0.0.1', port: 0, trustProxy: 1 } });
    expect((await report(gateway)).status).toBe(200);
  });

  it('ignores the header from a peer that is not a trusted proxy', async () => {
    for (const trustProxy of [undefined, ['10.0.0.0/8']]) {
      const gateway = await gatewayWith({
        plugins,
        server: { host: '127.0.0.1', port: 0, ...(trustProxy ? { trustProxy } : {}) },
      });
      const refused = await report(gateway);
      expect(refused.status, `trustProxy ${JSON.stringify(trustProxy)}`).toBe(401);
    }
  });

  it('refuses a trustProxy entry that is not an address, naming the field', () => {
    expect(() =>
      parseConfig({
        server: { trustProxy: ['127.0.0.1', 'proxy.internal'] },
        apiKeys: [{ id: 'k', key: API_KEY }],
        plugins: [{ resolve: '@msg/plugin-console', id: 'console' }],
      }),
    ).toThrow(/server\.trustProxy\.1: must be an IP address, a CIDR block, or one of loopback/);
  });
});
