import { createProvider, type Provider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import smtpPlugin from '../src/index.js';
import { createSmtpSimulator, sandbox } from '../src/simulator.js';
import { email, makeProvider, optionsFor, signal } from './helpers.js';

describe('smtp sandbox', () => {
  it('gives options that send through the simulator and post its DSNs to the gateway', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/smtp-sandbox`;
    const started = await sandbox({ instanceId: 'smtp-sandbox', webhookUrl });
    const provider = (await createProvider(smtpPlugin, started.options, {
      instanceId: 'smtp-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    })) as Provider<'email'>;
    try {
      const result = await provider.send(email('sb-1'), { signal: signal() });
      const [callback] = await receiver.waitFor(1);
      expect(callback?.path).toMatch(/^\/webhooks\/smtp-sandbox\?token=/);
      expect(callback?.headers['content-type']).toBe('message/rfc822');
      const { events } = await provider.parseWebhook!(callback!);
      expect(events).toMatchObject([
        { providerMessageId: result.providerMessageId, messageId: 'sb-1', status: 'delivered' },
      ]);
      // The mailbox is readable over HTTP.
      const listed = (await (await fetch(`${started.url}/messages`)).json()) as {
        messages: Array<{ messageId: string }>;
      };
      expect(listed.messages.map((message) => message.messageId)).toEqual([`<${result.providerMessageId}>`]);
    } finally {
      await provider.close();
      await started.stop();
      await receiver.close();
    }
  });

  it('mails a bounce for a recipient set to bounce, and nothing for one set to stay silent', async () => {
    const receiver = await webhookReceiver();
    const simulator = createSmtpSimulator();
    await simulator.start();
    simulator.callbackUrl = `${receiver.url}/webhooks/smtp?token=t`;
    simulator.outcomes.set('gone@example.com', 'bounce');
    simulator.outcomes.set('quiet@example.com', 'silent');
    const provider = await makeProvider(optionsFor(simulator));
    try {
      await provider.send(
        email('two-fates', { to: [{ email: 'gone@example.com' }, { email: 'quiet@example.com' }] }),
        { signal: signal() },
      );
      const [callback] = await receiver.waitFor(1);
      const { events } = await provider.parseWebhook!({
        ...callback!,
        url: callback!.url.replace('token=t', 'token=dsn-hook-token-0123456789'),
      });
      expect(events).toMatchObject([
        { recipient: 'gone@example.com', status: 'bounced', bounceType: 'permanent', messageId: 'two-fates' },
      ]);
      expect(simulator.bounces?.received).toHaveLength(1);
      expect(simulator.bounces?.received[0]?.to).toEqual(['sender@example.com']);
    } finally {
      await provider.close();
      await simulator.stop();
      await receiver.close();
    }
  });
});
