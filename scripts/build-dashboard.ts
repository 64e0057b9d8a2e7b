import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..', 'apps', 'dashboard');
const BUILT = join(DASHBOARD, 'dist', 'index.html');

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestSource(join(path, entry))));
}

/**
 * Vitest's global setup, and the sandbox's first step (`pnpm sandbox` runs this file): the gateway serves the dashboard's built assets, and its browser tests
 * drive them, so a fresh clone (or a changed source) builds them before any test runs. An
 * up-to-date build is left alone: the check costs a few file stats.
 */
export default function buildDashboard(): void {
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((entry) =>
    join(DASHBOARD, entry),
  );
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= Math.max(...sources.map(newestSource))) return;
  const vite = join(DASHBOARD, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: DASHBOARD,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`[msg] building the dashboard failed (exit ${result.status})`);
}

// Run as a script: the sandbox serves the dashboard from a fresh clone too.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) buildDashboard();
