import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { SpendLimits } from '../src/costs/spend-limits.js';
import type { Alerts } from '../src/migrations/alerts.js';
import type { MessageStore } from '../src/store/message-store.js';
import { memoryLogger } from './helpers.js';

describe('spend limits on a store shared by several instances', () => {
  it('counts what the other instances settled once it reads the store again, and announces only its own crossing', async () => {
    const config = parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        apiKeys: [{ id: 'client', key: 'client-key-0123456789abcdef', scopes: ['send'] }],
        plugins: [{ resolve: '@msg/plugin-console', id: 'console', options: {} }],
        costs: { currency: 'USD', spendLimits: { console: '10' } },
      },
      { directory: process.cwd() },
    ).config;
    // What the store holds for the month: this instance's sends and the others'.
    let stored = 0;
    const operations: unknown[] = [];
    const store = {
      ledger: { monthSpend: async () => stored },
      writeOperation: async (write: unknown) => {
        operations.push(write);
      },
    } as unknown as MessageStore;
    const alerts = { build: () => [] } as unknown as Alerts;
    const limits = new SpendLimits(config.costs, store, alerts, memoryLogger(), () =>
      Date.parse('2030-01-15'),
    );
    await limits.load();
    limits.record('console', 4_000_000);
    stored = 4_000_000;
    expect(limits.over('console')).toBe(false);
    // Another instance settles 7 more: only the store knows.
    stored = 11_000_000;
    expect(limits.over('console')).toBe(false);
    await limits.refresh();
    expect(limits.over('console')).toBe(true);
    // That instance announced the crossing; this one does not announce it again.
    limits.record('console', 1_000_000);
    expect(operations).toHaveLength(0);
  });
});
