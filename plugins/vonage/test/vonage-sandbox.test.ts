import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import vonagePlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';

describe('vonage sandbox', () => {
  it('gives options that send through the simulator and post signed receipts to the gateway', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/vonage-sandbox`;
    const started = await sandbox({ instanceId: 'vonage-sandbox', webhookUrl });
    const provider = await createProvider(vonagePlugin, started.options, {
      instanceId: 'vonage-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    try {
      const result = await provider.send(
        { id: 'sb-1', channel: 'sms', to: '+447700900001', text: 'hi' },
        { signal: new AbortController().signal },
      );
      const [receipt] = await receiver.waitFor(1);
      expect(receipt?.path).toBe('/webhooks/vonage-sandbox');
      expect(receipt?.method).toBe('POST');
      const { events } = await provider.parseWebhook!(receipt!);
      expect(events).toEqual([
        expect.objectContaining({
          providerMessageId: result.providerMessageId,
          messageId: 'sb-1',
          status: 'delivered',
        }),
      ]);
    } finally {
      await provider.close();
      await started.stop();
      await receiver.close();
    }
  });
});
