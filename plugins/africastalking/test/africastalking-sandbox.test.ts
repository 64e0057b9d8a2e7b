import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import africasTalkingPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';

describe("africa's talking sandbox", () => {
  it('gives options that send through the simulator and call the gateway back', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/africastalking-sandbox`;
    const started = await sandbox({ instanceId: 'africastalking-sandbox', webhookUrl });
    const provider = await createProvider(africasTalkingPlugin, started.options, {
      instanceId: 'africastalking-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    const result = await provider.send(
      { id: 'sb-1', channel: 'sms', to: '+254711000001', text: 'hi' },
      { signal: new AbortController().signal },
    );
    const [callback] = await receiver.waitFor(1);
    expect(callback?.path).toBe(
      `/webhooks/africastalking-sandbox?token=${encodeURIComponent(String(started.options.webhookToken))}`,
    );
    const { events } = await provider.parseWebhook!(callback!);
    expect(events).toEqual([
      expect.objectContaining({ providerMessageId: result.providerMessageId, status: 'delivered' }),
    ]);
    await provider.close();
    await started.stop();
    await receiver.close();
  });
});
