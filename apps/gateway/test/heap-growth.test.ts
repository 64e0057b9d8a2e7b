import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { heapGrowthFlag } from '../src/heap-growth.js';

const CONSOLE = { resolve: '@msg/plugin-console', id: 'console' };

describe('heap growth (server.heapGrowthPercent)', () => {
  it('bounds growth to 60% past the live heap unless the config or the operator says otherwise', () => {
    const config = parseConfig({
      apiKeys: [{ id: 'k', key: 'k'.repeat(32), scopes: ['send'] }],
      plugins: [CONSOLE],
    });
    expect(config.config.server.heapGrowthPercent).toBe(60);
    expect(heapGrowthFlag(60, [], '')).toBe('--heap-growing-percent=60');
    expect(heapGrowthFlag(0, [], '')).toBeUndefined();
    // The operator's own flag wins, on the command line or in NODE_OPTIONS, in either spelling.
    expect(heapGrowthFlag(60, ['--heap-growing-percent=100'], '')).toBeUndefined();
    expect(heapGrowthFlag(60, [], '--max-old-space-size=512 --heap_growing_percent=30')).toBeUndefined();
    // A heap limit alone is no choice of growth: the flag still applies under it.
    expect(heapGrowthFlag(25, ['--max-old-space-size=512'], '')).toBe('--heap-growing-percent=25');
  });

  it('refuses a growth outside 0-400 with its path', () => {
    expect(() =>
      parseConfig({
        server: { heapGrowthPercent: -5 },
        apiKeys: [{ id: 'k', key: 'k'.repeat(32), scopes: ['send'] }],
        plugins: [CONSOLE],
      }),
    ).toThrow(/server\.heapGrowthPercent/);
  });
});
