// One gateway in its own process: console sinks `old` and `new` on a route migrating between them,
// over the store file given. `plan` runs a plan whose analysis queries the store every second.
import { createGateway, parseConfig } from '@msg/gateway';

const [storePath, mode] = process.argv.slice(2) as [string, 'plan' | 'none'];
export const API_KEY = 'bench-key-0123456789abcdef';

const plan = {
  steps: [{ percentage: 50, hold: '24h' }, { percentage: 100 }],
  analysis: {
    interval: '1s',
    window: '1h',
    receiptWindow: '1s',
    minSample: 10,
    checks: [
      'to.deliveredRate >= from.deliveredRate - 0.02',
      'to.p95DeliveryMs <= from.p95DeliveryMs * 2',
      'to.sendErrorRate <= 0.05',
    ],
  },
};
const loaded = parseConfig({
  server: { host: '127.0.0.1', port: 0 },
  apiKeys: [{ id: 'bench', key: API_KEY, scopes: ['admin'], rateLimitPerMinute: 100_000_000 }],
  store: { driver: 'sqlite', path: storePath, synchronous: 'normal' },
  dispatch: { concurrency: 64 },
  callbacks: { signingSecret: 'bench-callback-signing-secret' },
  plugins: [
    { resolve: '@msg/plugin-console', id: 'old', options: { silent: true, status: 'delivered' } },
    { resolve: '@msg/plugin-console', id: 'new', options: { silent: true, status: 'delivered' } },
  ],
  routing: {
    routes: [
      {
        id: 'sms',
        providers: ['old', 'new'],
        migration: {
          id: 'old-to-new',
          from: ['old'],
          to: ['new'],
          percentage: 50,
          ...(mode === 'plan' ? { plan } : {}),
        },
      },
    ],
  },
  migrations: { tickMs: 200 },
  log: { level: 'warn' },
});
const gateway = createGateway(loaded);
const { url } = await gateway.start();
process.stdout.write(`${JSON.stringify({ url })}\n`);
