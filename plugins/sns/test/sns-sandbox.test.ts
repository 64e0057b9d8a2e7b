import { createProvider, silentLogger } from '@msg/core';
import { describe, expect, it } from 'vitest';
import snsPlugin from '../src/index.js';
import { sandbox } from '../src/simulator.js';

describe('sns sandbox', () => {
  it('gives options that send through the simulator', async () => {
    const started = await sandbox({
      instanceId: 'sns-sandbox',
      webhookUrl: 'http://127.0.0.1:9/webhooks/sns-sandbox',
    });
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started.options.baseUrl).toBe(started.url);
    const provider = await createProvider(snsPlugin, started.options, {
      instanceId: 'sns-sandbox',
      logger: silentLogger,
      now: Date.now,
    });
    const result = await provider.send(
      { id: 'sb-1', channel: 'sms', to: '+260971234567', text: 'hi' },
      { signal: new AbortController().signal },
    );
    expect(result.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
    await provider.close();
    await started.stop();
  });
});
