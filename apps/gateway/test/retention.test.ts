import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { eventually, GATEWAY_DIRECTORY, startGateway } from './helpers.js';

const DAY = 86_400_000;

describe('retention', () => {
  it('deletes finished messages older than retention.finishedAfterMs in the background', async () => {
    let clock = Date.now();
    const gateway = await startGateway(
      {
        plugins: [
          {
            resolve: join(GATEWAY_DIRECTORY, 'test/fixtures/slow-plugin.ts'),
            id: 'slow',
            options: { delayMs: 0 },
          },
        ],
        retention: { finishedAfterMs: 30 * DAY },
        sweeper: { intervalMs: 20, batchSize: 100 },
      },
      { now: () => clock },
    );
    try {
      const old = await gateway.call('POST', '/v1/messages?wait=true', {
        body: { to: '+260971234567', text: 'x' },
      });
      expect(old.body.status).toBe('delivered');
      clock += 30 * DAY + 1;
      const recent = await gateway.call('POST', '/v1/messages?wait=true', {
        body: { to: '+260971234567', text: 'y' },
      });
      await eventually(async () => {
        const read = await gateway.call('GET', `/v1/messages/${old.body.id}`);
        return read.status === 404 ? true : undefined;
      });
      expect((await gateway.call('GET', `/v1/messages/${recent.body.id}`)).status).toBe(200);
      const metrics = await gateway.call('GET', '/metrics', { key: null });
      expect(metrics.body).toContain('msg_messages_pruned_total 1');
    } finally {
      await gateway.stop();
    }
  });

  it('refuses a retention shorter than the receipt window, naming the field', () => {
    expect(() =>
      parseConfig(
        {
          apiKeys: [{ id: 'client', key: 'client-key-0123456789' }],
          plugins: [{ resolve: '@msg/plugin-console', id: 'console' }],
          retention: { finishedAfterMs: DAY },
        },
        { directory: GATEWAY_DIRECTORY, env: {} },
      ),
    ).toThrow(/retention\.finishedAfterMs: must be at least receipts\.windowMs/);
  });
});
