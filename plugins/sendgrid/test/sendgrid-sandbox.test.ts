import { createProvider, silentLogger } from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import sendgridPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';
import { email } from './helpers.js';

describe('sendgrid sandbox', () => {
  it('gives options that send through the simulator and call the gateway back', async () => {
    const receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/sendgrid-sandbox`;
    const started = await sandbox({ instanceId: 'sendgrid-sandbox', webhookUrl });
    const provider = await createProvider(sendgridPlugin, started.options, {
      instanceId: 'sendgrid-sandbox',
      logger: silentLogger,
      now: Date.now,
      webhookUrl,
    });
    const result = await provider.send(email('sb-1'), { signal: new AbortController().signal });
    // One signed post: `processed`, then the recipient's `delivered`.
    const [callback] = await receiver.waitFor(1);
    expect(callback?.path).toBe('/webhooks/sendgrid-sandbox');
    const { events } = await provider.parseWebhook!(callback!);
    expect(events.map((event) => event.status)).toEqual(['queued', 'delivered']);
    for (const event of events) {
      expect(event).toMatchObject({ providerMessageId: result.providerMessageId, messageId: 'sb-1' });
    }
    await provider.close();
    await started.stop();
    await receiver.close();
  });
});
