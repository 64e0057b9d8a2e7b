import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import mittoPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';

describe('mitto sandbox', () => {
  it('gives options that send through the simulator and report to the gateway with the token', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/mitto-sandbox`;
    const started = await sandbox({ instanceId: 'mitto-sandbox', webhookUrl });
    const provider = await createProvider(mittoPlugin, started.options, {
      instanceId: 'mitto-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    try {
      const result = await provider.send(
        { id: 'sb-1', channel: 'sms', to: '+41751231234', text: 'hi' },
        { signal: new AbortController().signal },
      );
      const [received] = await receiver.waitFor(1);
      expect(received?.path).toBe(
        `/webhooks/mitto-sandbox?token=${encodeURIComponent(String(started.options.webhookToken))}`,
      );
      const { events } = await provider.parseWebhook!(received!);
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
