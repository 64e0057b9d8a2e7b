import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import sesPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';
import { email } from './helpers.js';

describe('ses sandbox', () => {
  it('gives options that send through the simulator and call the gateway back', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/ses-sandbox`;
    const started = await sandbox({ instanceId: 'ses-sandbox', webhookUrl });
    const provider = await createProvider(sesPlugin, started.options, {
      instanceId: 'ses-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    const result = await provider.send(email('sb-1'), { signal: new AbortController().signal });
    // Send, then the recipient's Delivery; the default plugin verifies both with the inline certificate.
    const callbacks = await receiver.waitFor(2);
    expect(callbacks.map((callback) => callback.path)).toEqual([
      '/webhooks/ses-sandbox',
      '/webhooks/ses-sandbox',
    ]);
    const events = [];
    for (const callback of callbacks) events.push(...(await provider.parseWebhook!(callback)).events);
    expect(events.map((event) => event.status).sort()).toEqual(['delivered', 'sent']);
    for (const event of events) {
      expect(event).toMatchObject({ providerMessageId: result.providerMessageId, messageId: 'sb-1' });
    }
    await provider.close();
    await started.stop();
    await receiver.close();
  });
});
