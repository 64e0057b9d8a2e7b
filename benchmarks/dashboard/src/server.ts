// The gateway under measurement, in its own process: SQLite (WAL, synchronous=normal), two silent
// console instances behind a 50 % migration, an admin key. Prints `{"url":…}` when it listens.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, parseConfig } from '@msg/gateway';

const API_KEY = 'bench-key-0123456789abcdef';
const MIGRATION = 'old-to-new';

const directory = mkdtempSync(join(tmpdir(), 'msg-bench-dashboard-'));
const loaded = parseConfig(
  {
    server: { host: '127.0.0.1', port: 0 },
    apiKeys: [{ id: 'bench', key: API_KEY, scopes: ['admin'], rateLimitPerMinute: 100_000_000 }],
    store: { driver: 'sqlite', path: join(directory, 'gateway.sqlite'), synchronous: 'normal' },
    dispatch: { concurrency: 64 },
    callbacks: { signingSecret: 'bench-callback-signing-secret' },
    plugins: [
      { resolve: '@msg/plugin-console', id: 'old', options: { silent: true } },
      { resolve: '@msg/plugin-console', id: 'new', options: { silent: true } },
    ],
    routing: {
      routes: [
        {
          id: 'sms',
          match: { channel: 'sms' },
          providers: ['old', 'new'],
          migration: { id: MIGRATION, from: ['old'], to: ['new'], percentage: 50 },
        },
      ],
    },
    log: { level: 'warn' },
  },
  { directory: process.cwd() },
);
const { url } = await createGateway(loaded).start();
process.stdout.write(`${JSON.stringify({ url })}\n`);
