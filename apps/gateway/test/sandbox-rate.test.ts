import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { ApiKeys } from '../src/http/auth.js';
import { GATEWAY_DIRECTORY } from './helpers.js';

describe('the sandbox key', () => {
  it('admits a load test: 10 seconds at 5,000 requests a second are never answered 429', async () => {
    const { config } = await loadConfig(join(GATEWAY_DIRECTORY, 'sandbox/gateway.yaml'), {
      MSG_API_KEY: 'sandbox-key-0123456789abcdef',
    });
    let clock = 0;
    const keys = new ApiKeys(config.apiKeys, () => clock);
    const key = keys.authenticate('sandbox-key-0123456789abcdef');
    expect(key).toBeDefined();
    let refused = 0;
    for (let second = 0; second < 10; second++) {
      for (let request = 0; request < 5000; request++) {
        clock = second * 1000 + request / 5;
        if (keys.take(key as NonNullable<typeof key>, 1) !== undefined) refused++;
      }
    }
    expect(refused).toBe(0);
  });
});
