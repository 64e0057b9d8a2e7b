import { createProvider, type DeliveryEvent, silentLogger } from '@msg/core';
import { createSmscSimulator } from '@msg/smpp/simulator';
import { describe, expect, it } from 'vitest';
import zamtelPlugin, { type ZamtelSmppProvider } from '../src/index.js';
import { rejectionOf, signal, sms, waitFor } from './helpers.js';

describe('SMPP mode', () => {
  it('sends a long message as parts and reports one reconciled delivery event', async () => {
    const smsc = await createSmscSimulator({ credentials: { zamtel: 'pw' }, receiptIdFormat: 'decimal' });
    const provider = (await createProvider(
      zamtelPlugin,
      {
        mode: 'smpp',
        host: smsc.host,
        port: smsc.port,
        systemId: 'zamtel',
        password: 'pw',
        sourceAddress: 'ZEDBANK',
      },
      { instanceId: 'zamtel-smpp', logger: silentLogger, now: Date.now },
    )) as ZamtelSmppProvider;
    try {
      expect(provider.capabilities.deliveryReceipts).toBe(true);
      const events: DeliveryEvent[] = [];
      provider.onDeliveryEvent((event) => events.push(event));
      const result = await provider.send(sms('B'.repeat(400)), { signal: signal() });
      expect(result.segments).toBe(3);
      expect(smsc.submits.map((submit) => submit.destinationAddr)).toEqual(Array(3).fill('260955123456'));
      await waitFor(() => events.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ providerMessageId: result.providerMessageId, status: 'delivered' });
    } finally {
      await provider.close();
      await smsc.stop();
    }
  });

  it('fails as configuration when the bind is refused', async () => {
    const smsc = await createSmscSimulator({ credentials: { zamtel: 'pw' } });
    const provider = await createProvider(
      zamtelPlugin,
      {
        mode: 'smpp',
        host: smsc.host,
        port: smsc.port,
        systemId: 'zamtel',
        password: 'bad',
        sourceAddress: 'Z',
        bind: 'lazy',
      },
      { instanceId: 'zamtel-smpp', logger: silentLogger, now: Date.now },
    );
    try {
      const error = await rejectionOf(provider.send(sms(), { signal: signal() }));
      expect(error).toMatchObject({
        kind: 'configuration',
        providerCode: '0x0000000E',
        provider: 'zamtel-smpp',
      });
    } finally {
      await provider.close();
      await smsc.stop();
    }
  });
});
