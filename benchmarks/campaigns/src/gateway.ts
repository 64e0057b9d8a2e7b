// The gateway's config for the benchmark: SQLite, the Africa's Talking plugin to the simulator,
// credits on, the price table in KES, campaigns with their defaults. main.ts writes it to a file
// and runs the built CLI on it.

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { ADMIN_KEY, API_KEY, AT_API_KEY, AT_USERNAME } from './constants.js';

const require = createRequire(import.meta.url);
/** The plugin's folder, by path: the config file lives in a temporary folder. */
const AT_PLUGIN = dirname(require.resolve('@msg/plugin-africastalking/package.json'));

export function gatewayConfig(storePath: string, simulatorUrl: string) {
  const rate = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
  return {
    server: {
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: 50 * 1024 * 1024,
      // The default heap growth unless BENCH_HEAP_GROWTH says otherwise (0: V8's own).
      ...(process.env.BENCH_HEAP_GROWTH ? { heapGrowthPercent: Number(process.env.BENCH_HEAP_GROWTH) } : {}),
    },
    apiKeys: [
      { id: 'shop', key: API_KEY, scopes: ['send', 'read'], rateLimitPerMinute: 100_000_000 },
      { id: 'ops', key: ADMIN_KEY, scopes: ['admin'] },
    ],
    store: {
      driver: 'sqlite',
      path: storePath,
      synchronous: 'normal',
      // The default page cache unless BENCH_CACHE_MB says otherwise.
      ...(process.env.BENCH_CACHE_MB ? { cacheMb: Number(process.env.BENCH_CACHE_MB) } : {}),
    },
    callbacks: { signingSecret: 'bench-callback-signing-secret' },
    credits: { enabled: true },
    costs: { currency: 'KES', prices: [{ provider: 'at', amount: '1.0000' }] },
    ...(rate ? { routing: { providers: { at: { rateLimit: { perSecond: rate, burst: rate } } } } } : {}),
    plugins: [
      {
        resolve: AT_PLUGIN,
        id: 'at',
        options: { username: AT_USERNAME, apiKey: AT_API_KEY, baseUrl: simulatorUrl },
      },
    ],
    log: { level: 'warn' },
  };
}
