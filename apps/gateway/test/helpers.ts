// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the tests short.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@msg/core';
import { request } from 'undici';
import { afterEach } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway.js';

export const GATEWAY_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '..');
export const API_KEY = 'test-key-0123456789abcdef';
export const READ_KEY = 'read-key-0123456789abcdef';
export const ADMIN_KEY = 'admin-key-0123456789abcdef';

export interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown> | undefined;
}

/** A logger that keeps what it is told, for assertions ("logged, no crash"). */
export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'msg-gateway-'));
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  logger: ReturnType<typeof memoryLogger>;
  call(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Record<string, unknown>; body: any }>;
  stop(): Promise<void>;
}

/** A gateway on an ephemeral port with an in-memory store unless told otherwise; plugins run from source. */
export async function startGateway(
  raw: Record<string, unknown>,
  options: GatewayOptions = {},
): Promise<TestGateway> {
  const loaded = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      apiKeys: [
        { id: 'client', key: API_KEY, scopes: ['send', 'read'] },
        { id: 'reader', key: READ_KEY, scopes: ['read'] },
        { id: 'operator', key: ADMIN_KEY, scopes: ['admin'] },
      ],
      store: { driver: 'memory' },
      ...raw,
    },
    { directory: GATEWAY_DIRECTORY, env: { TEST_SECRET: 'super-secret-value' } },
  );
  const logger = memoryLogger();
  const gateway = createGateway(loaded, { logger, pluginConditions: ['@msg/source'], ...options });
  const { url } = await gateway.start();
  return {
    gateway,
    url,
    logger,
    async call(method, path, callOptions = {}) {
      const key = callOptions.key === undefined ? API_KEY : callOptions.key;
      const body =
        callOptions.raw ?? (callOptions.body === undefined ? undefined : JSON.stringify(callOptions.body));
      const response = await request(`${url}${path}`, {
        method: method as 'GET',
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...callOptions.headers,
        },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await response.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: response.statusCode, headers: response.headers, body: parsed as any };
    },
    stop: () => gateway.stop({ timeoutMs: 2000 }),
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `startGateway` for tests that start their own gateways: each is stopped after its test. */
export function gatewayPerTest(): (raw: Record<string, unknown>) => Promise<TestGateway> {
  const running: TestGateway[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((gateway) => gateway.stop()));
  });
  return async (raw) => {
    const gateway = await startGateway(raw);
    running.push(gateway);
    return gateway;
  };
}

/** A Twilio instance `twilio` on a simulator account, sending from Twilio's test number. */
export function twilioEntry(
  account: { sid: string; token: string; baseUrl: string },
  options: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    resolve: '@msg/plugin-twilio',
    id: 'twilio',
    options: {
      accountSid: account.sid,
      authToken: account.token,
      from: '+15005550006',
      baseUrl: account.baseUrl,
      ...options,
    },
  };
}

export interface Child {
  process: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** The gateway as a deployment runs it: its CLI in its own process (from source, through tsx). */
export async function startChild(config: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--conditions=@msg/source', '--import', 'tsx', 'src/cli.ts', 'start', '--config', config],
    { cwd: GATEWAY_DIRECTORY, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${stderr}`)), 20_000);
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    void exited.then((code) => reject(new Error(`gateway exited with ${code}:\n${stderr}`)));
  });
  return { process: child, url, stderr: () => stderr, exited };
}
