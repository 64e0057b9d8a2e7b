import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import mailgunPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';
import { emailMessage } from './helpers.js';

describe('mailgun sandbox', () => {
  it('gives options that send through the simulator and call the gateway back', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/mailgun-sandbox`;
    const started = await sandbox({ instanceId: 'mailgun-sandbox', webhookUrl });
    const provider = await createProvider(mailgunPlugin, started.options, {
      instanceId: 'mailgun-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    const result = await provider.send(emailMessage('sb-1', { from: { email: 'news@mg.sandbox.example' } }), {
      signal: new AbortController().signal,
    });
    // `accepted`, then the recipient's `delivered`, each its own signed post.
    const callbacks = await receiver.waitFor(2);
    expect(callbacks.map((callback) => callback.path)).toEqual([
      '/webhooks/mailgun-sandbox',
      '/webhooks/mailgun-sandbox',
    ]);
    const events = [];
    for (const callback of callbacks) events.push(...(await provider.parseWebhook!(callback)).events);
    expect(events.map((event) => event.status).sort()).toEqual(['delivered', 'queued']);
    for (const event of events) {
      expect(event).toMatchObject({ providerMessageId: result.providerMessageId, messageId: 'sb-1' });
    }
    await provider.close();
    await started.stop();
    await receiver.close();
  });
});
