import { defineConfig } from 'vitest/config';

// One vitest run over every package (`pnpm test`); `pnpm --filter <package> test` runs one
// package's files. Sources resolve through the `@msg/source` export condition, so tests never
// need a build first.
export default defineConfig({
  resolve: { conditions: ['@msg/source'] },
  ssr: { resolve: { conditions: ['@msg/source'] } },
  test: {
    include: ['{packages,plugins,apps,examples}/*/{src,test}/**/*.test.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    // The gateway serves the dashboard's built assets: build them first when missing or stale.
    globalSetup: ['./scripts/build-dashboard.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
