import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import twilioPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';

describe('twilio sandbox', () => {
  it('gives options that send through the simulator and call the gateway back', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/twilio-sandbox`;
    const started = await sandbox({ instanceId: 'twilio-sandbox', webhookUrl });
    const provider = await createProvider(twilioPlugin, started.options, {
      instanceId: 'twilio-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    const result = await provider.send(
      { id: 'sb-1', channel: 'sms', to: '+260971234567', text: 'hi' },
      { signal: new AbortController().signal },
    );
    // `sent`, then the final `delivered`.
    const callbacks = await receiver.waitFor(2);
    expect(callbacks.every((callback) => callback.path.startsWith('/webhooks/twilio-sandbox?'))).toBe(true);
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
