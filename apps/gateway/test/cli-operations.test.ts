import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, GATEWAY_DIRECTORY, startGateway, type TestGateway } from './helpers.js';

/** The CLI from source, as `pnpm --filter @msg/gateway msg` runs it. */
function msg(args: string[], url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@msg/source', '--import', 'tsx', 'src/cli.ts', ...args],
      {
        cwd: GATEWAY_DIRECTORY,
        env: { ...process.env, MSG_URL: url, MSG_API_KEY: ADMIN_KEY },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('msg CLI: migrations, providers, route', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({
      plugins: [
        { resolve: '@msg/plugin-console', id: 'old', options: { silent: true } },
        { resolve: '@msg/plugin-console', id: 'new', options: { silent: true } },
      ],
      routing: {
        routes: [
          {
            id: 'sms',
            providers: ['old', 'new'],
            migration: { id: 'old-to-new', from: ['old'], to: ['new'], percentage: 30 },
          },
        ],
      },
    });
  });
  afterAll(() => gateway?.stop());

  it('stops a migration with a reason, shows it, and lists it in the history', async () => {
    const refused = await msg(['migrations', 'stop', 'old-to-new'], gateway.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--reason is required');
    const stopped = await msg(
      ['migrations', 'stop', 'old-to-new', '--reason', 'delivery complaints'],
      gateway.url,
    );
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('mode rolled-back');
    const history = await msg(['migrations', 'history', 'old-to-new'], gateway.url);
    expect(history.stdout).toMatch(/operator\s+migration\.emergency-stop\s+delivery complaints/);
  }, 30_000);

  it('previews the route with a provider assumed down, sending nothing', async () => {
    const route = await msg(['route', '--to', '+260971234567', '--down', 'old'], gateway.url);
    expect(route.code).toBe(0);
    expect(route.stdout).toContain('route sms:');
    expect(route.stdout).toContain('assumed down: old');
    const unknown = await msg(['route', '--to', '+260971234567', '--down', 'nope'], gateway.url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown provider nope');
  }, 30_000);

  it('halts a provider', async () => {
    const halted = await msg(['providers', 'halt', 'new', '--reason', 'maintenance'], gateway.url);
    expect(halted.stdout).toContain('new: breaker closed, halted');
  }, 30_000);
});
