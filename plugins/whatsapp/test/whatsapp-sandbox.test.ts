import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import whatsAppPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';

describe('whatsapp sandbox', () => {
  it('gives options that send through the simulator and post signed statuses to the gateway', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/whatsapp-sandbox`;
    const started = await sandbox({ instanceId: 'whatsapp-sandbox', webhookUrl });
    const provider = await createProvider(whatsAppPlugin, started.options, {
      instanceId: 'whatsapp-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    try {
      const result = await provider.send(
        {
          id: 'sb-1',
          channel: 'whatsapp',
          to: '+260971234567',
          template: {
            name: 'verification_code',
            language: 'en_US',
            components: [{ type: 'body', parameters: [{ type: 'text', text: '482913' }] }],
          },
        },
        { signal: new AbortController().signal },
      );
      const received = await receiver.waitFor(3);
      expect(received.map((request) => request.path)).toEqual(Array(3).fill('/webhooks/whatsapp-sandbox'));
      const events = [];
      for (const request of received) events.push(...(await provider.parseWebhook!(request)).events);
      expect(events.map((event) => [event.providerMessageId, event.messageId, event.status])).toEqual([
        [result.providerMessageId, 'sb-1', 'sent'],
        [result.providerMessageId, 'sb-1', 'delivered'],
        [result.providerMessageId, 'sb-1', 'read'],
      ]);
    } finally {
      await provider.close();
      await started.stop();
      await receiver.close();
    }
  });
});
