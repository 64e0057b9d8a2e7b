import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import resendPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';
import { email } from './helpers.js';

describe('resend sandbox', () => {
  it('gives options that send through the simulator and receive its signed webhooks', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/resend-sandbox`;
    const started = await sandbox({ instanceId: 'resend-sandbox', webhookUrl });
    const provider = await createProvider(resendPlugin, started.options, {
      instanceId: 'resend-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    try {
      const result = await provider.send(email('sb-1'), { signal: new AbortController().signal });
      const callbacks = await receiver.waitFor(2);
      const events = [];
      for (const callback of callbacks) events.push(...(await provider.parseWebhook!(callback)).events);
      expect(events.map((event) => event.status).sort()).toEqual(['delivered', 'sent']);
      for (const event of events) {
        expect(event).toMatchObject({ providerMessageId: result.providerMessageId, messageId: 'sb-1' });
      }
    } finally {
      await provider.close();
      await started.stop();
      await receiver.close();
    }
  });
});
