// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the test short.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from './helpers.js';

/** The simulator URL the sandbox logged for an instance ("sandbox: ses -> simulator of ... at URL"). */
function simulatorUrl(gateway: TestGateway, instance: string): string {
  const line = gateway.logger.lines.find((entry) => entry.message.startsWith(`sandbox: ${instance} -> `));
  const url = line?.message.split(' at ').at(-1);
  if (!url) throw new Error(`no sandbox simulator logged for ${instance}`);
  return url;
}

/** Takes a simulator down through its own fault API: every request answers 503 from now on. */
async function takeDown(url: string): Promise<void> {
  const response = await request(`${url}/__simulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outage: { from: 0, to: Number.MAX_SAFE_INTEGER } }),
  });
  expect(response.statusCode).toBe(200);
  await response.body.arrayBuffer();
}

describe('email failover SES -> SendGrid -> SMTP in a sandbox gateway', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      sandbox: true,
      plugins: [
        { resolve: '@msg/plugin-ses', id: 'ses', options: {} },
        { resolve: '@msg/plugin-sendgrid', id: 'sendgrid', options: {} },
        { resolve: '@msg/plugin-smtp', id: 'smtp', options: { host: 'smtp.gmail.com' } },
      ],
      routing: {
        defaults: { timeoutMs: 5000, retry: { maxRetries: 0 } },
        routes: [{ id: 'email', match: { channel: 'email' }, providers: ['ses', 'sendgrid', 'smtp'] }],
      },
    });
  });
  afterAll(() => gateway?.stop());

  const send = async (subject: string) => {
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { from: 'app@example.com', to: 'user@example.com', subject, text: 'failover' },
    });
    expect(sent.status).toBe(200);
    return sent.body;
  };

  it('sends through SES while it is up', async () => {
    const sent = await send('first');
    expect(sent.provider).toBe('ses');
  });

  it('fails over to SendGrid when SES is down', async () => {
    await takeDown(simulatorUrl(gateway, 'ses'));
    const sent = await send('second');
    expect(sent.provider).toBe('sendgrid');
    expect(sent.attempts.map((attempt: any) => [attempt.provider, attempt.outcome])).toEqual([
      ['ses', 'failed'],
      ['sendgrid', 'succeeded'],
    ]);
  });

  it('fails over to the SMTP relay when SendGrid is down too; the mail arrives and its DSN marks it delivered', async () => {
    await takeDown(simulatorUrl(gateway, 'sendgrid'));
    const sent = await send('third');
    expect(sent.provider).toBe('smtp');
    expect(sent.attempts.map((attempt: any) => attempt.provider)).toEqual(['ses', 'sendgrid', 'smtp']);
    expect(sent.attempts.at(-1)).toMatchObject({ outcome: 'succeeded' });
    // The message is in the SMTP simulator's mailbox, under our Message-ID.
    const mailbox = await request(`${simulatorUrl(gateway, 'smtp')}/messages`);
    const { messages } = (await mailbox.body.json()) as {
      messages: Array<{ messageId: string; subject: string; to: string[] }>;
    };
    expect(messages).toEqual([
      expect.objectContaining({
        messageId: `<${sent.providerMessageId}>`,
        subject: 'third',
        to: ['user@example.com'],
      }),
    ]);
    // The relay's DSN reaches the gateway's hook and moves the message to delivered.
    const delivered = await eventually(async () => {
      const read = await gateway.call('GET', `/v1/messages/${sent.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    }, 10_000);
    expect(delivered.events.map((event: any) => event.status)).toContain('delivered');
  });
});
