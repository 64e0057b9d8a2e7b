import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GATEWAY_DIRECTORY, temporaryDirectory } from './helpers.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the CLI from source, as `pnpm sandbox` does, and resolves with the URL it prints. */
function runCli(args: string[]): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(
    process.execPath,
    ['--conditions=@msg/source', '--import', 'tsx', 'src/cli.ts', ...args],
    { cwd: GATEWAY_DIRECTORY, env: { ...process.env, MSG_API_KEY: 'sk_cli_test_0123456789' } },
  );
  const url = new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`the CLI exited (${code}) before listening:\n${output}`)));
  });
  return { child, url };
}

describe('msg CLI', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    child = undefined;
  });

  it('takes --port after the `--` that `pnpm sandbox -- --port N` passes on', async () => {
    const directory = temporaryDirectory();
    const config = join(directory, 'gateway.yaml');
    writeFileSync(
      config,
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a config's environment reference, read by the gateway.
        'apiKeys: [{ id: sandbox, key: "${MSG_API_KEY}", scopes: [send, read] }]',
        'store: { driver: memory }',
        "plugins: [{ resolve: '@msg/plugin-console', id: console, options: { silent: true } }]",
        'log: { level: warn }',
        'sandbox: true',
      ].join('\n'),
    );
    const port = await freePort();
    const run = runCli(['sandbox', '--', '--config', config, '--port', String(port)]);
    child = run.child;
    expect(await run.url).toBe(`http://127.0.0.1:${port}`);
  }, 30_000);
});
