import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MsgError, Router, validateRouterConfig } from '@msg/core';
import { gatewayClient } from './cli-client.js';
import { operate } from './cli-operations.js';
import { ConfigError, type LoadedConfig, loadConfig } from './config/load-config.js';
import type { SecretRegistry } from './config/secrets.js';
import { createGateway, defaultRouting, type Gateway, openStore } from './gateway.js';
import { applyHeapGrowth } from './heap-growth.js';
import { EventSigningKey } from './ingress/sendgrid-event-key.js';
import { createLogger } from './logger.js';
import { closeProviders, loadProviders } from './plugins/plugin-host.js';

const USAGE = `msg — the @msg gateway

  msg start --config <file> [--port <n>]   run the gateway
  msg sandbox [--config <file>] [--port <n>]
                                           run it with every plugin on its simulator
  msg check --config <file>                validate a config: schema, plugins, options, routes
  msg send --to <number|email> --text <text> [--from <sender>] [--subject <s>] [--wait]
           [--url <gateway>] [--api-key <key>]  send a test message
  msg providers [--url <gateway>] [--api-key <key>]
                                           show provider health, breakers and scores
  msg providers halt|resume|reset <provider> [--reason <why>]
  msg migrations list | show <id> | history <id>
  msg migrations set <id> (--percentage <n> | --mode <mode>) --reason <why>
  msg migrations stop|resume|reset <id> --reason <why>
                                           emergency stop (everything to from), lift it, back to config
  msg migrations start|pause|promote|abort|approve <id> --reason <why>
                                           act on the migration's plan
  msg route --to <number|email> [--tags a,b] [--down p1,p2] [--from <sender>]
                                           where a message would go, and the failover chain; sends nothing
  msg audit [--subject migration:<id>] [--actor <key id>] [--limit <n>]
  (add --json to print the API's answer as it is)
  msg sendgrid-key --config <file>         the public key of SendGrid-format events (what an
                                           application configures as SendGrid's verification key)

--url defaults to MSG_URL or http://127.0.0.1:8080, --api-key to MSG_API_KEY.`;

const print = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string): never => {
  process.stderr.write(`${line}\n`);
  process.exit(1);
};

function options(argv: string[]) {
  return parseArgs({
    // `pnpm sandbox -- --port 18555` hands the CLI a literal `--`: no command takes positionals,
    // so it is dropped rather than ending the options.
    args: argv.filter((arg) => arg !== '--'),
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      url: { type: 'string' },
      'api-key': { type: 'string' },
      to: { type: 'string' },
      text: { type: 'string' },
      from: { type: 'string' },
      subject: { type: 'string' },
      wait: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

/** The loaded config's secrets, once there is one: every error printed passes through them. */
interface Secrets {
  current?: SecretRegistry;
}

async function load(file: string, secrets: Secrets): Promise<LoadedConfig> {
  const loaded = await loadConfig(file);
  secrets.current = loaded.secrets;
  return loaded;
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Runs until SIGTERM/SIGINT, then drains within the config's bound; a second signal exits at once. */
function stopOnSignals(gateway: Gateway, secrets: SecretRegistry): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`${signal}: draining…\n`);
    gateway.stop().then(
      () => process.exit(0),
      (error: unknown) => fail(secrets.redact(`shutdown failed: ${(error as Error).message}`)),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function start(argv: string[], sandbox: boolean, secrets: Secrets): Promise<void> {
  const values = options(argv);
  let generatedKey: string | undefined;
  if (sandbox && !process.env.MSG_API_KEY) {
    generatedKey = `sk_sandbox_${randomBytes(18).toString('base64url')}`;
    process.env.MSG_API_KEY = generatedKey;
  }
  const file =
    values.config ??
    (sandbox ? fileURLToPath(new URL('../sandbox/gateway.yaml', import.meta.url)) : undefined);
  if (!file) fail('msg start: --config <file> is required');
  const loaded = await load(file as string, secrets);
  applyHeapGrowth(loaded.config.server.heapGrowthPercent);
  let port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    fail(`msg: --port must be a port number (0-65535), got ${values.port}`);
  }
  const { host, port: configured } = loaded.config.server;
  if (sandbox && port === undefined && !(await portIsFree(host, configured))) {
    // A second sandbox, or anything else on 8080: the sandbox takes a free port rather than fail.
    process.stderr.write(`port ${configured} on ${host} is taken; the sandbox takes a free port instead\n`);
    port = 0;
  }
  const gateway = createGateway(loaded, port === undefined ? {} : { port });
  stopOnSignals(gateway, loaded.secrets);
  const { url } = await gateway.start();
  if (sandbox) {
    const key = process.env.MSG_API_KEY as string;
    print('');
    print(`  @msg sandbox is running at ${url}`);
    print(`  API key: ${key}${generatedKey ? ' (generated; set MSG_API_KEY to choose one)' : ''}`);
    print('');
    print('  Send a message:');
    print(`    curl -s -X POST ${url}/v1/messages \\`);
    print(`      -H 'authorization: Bearer ${key}' -H 'content-type: application/json' \\`);
    print(`      -d '{"to":"+260971234567","text":"Hello from @msg"}'`);
    print('  Then its delivery receipt, a moment later:');
    print(`    curl -s ${url}/v1/messages/<id> -H 'authorization: Bearer ${key}'`);
    print(`  Providers: curl -s ${url}/v1/providers -H 'authorization: Bearer ${key}'`);
    print(`  Dashboard: ${url}/dashboard/ (sign in with the API key above)`);
    print(`  OpenAPI: ${url}/openapi.json   Metrics: ${url}/metrics`);
    print('');
  } else {
    print(`msg gateway listening on ${url}`);
  }
}

async function check(argv: string[], secrets: Secrets): Promise<void> {
  const values = options(argv);
  if (!values.config) fail('msg check: --config <file> is required');
  const loaded = await load(values.config as string, secrets);
  const logger = createLogger({ level: 'warn', secrets: loaded.secrets });
  // Plugins are imported and their options validated, but nothing is started or sent.
  const providers = await loadProviders(loaded.config.plugins, {
    directory: loaded.directory,
    logger,
    publicUrl: loaded.config.server.publicUrl ?? 'http://localhost',
    sandbox: false,
  });
  try {
    const routing = Array.isArray((loaded.config.routing as { routes?: unknown }).routes)
      ? loaded.config.routing
      : { ...loaded.config.routing, routes: defaultRouting(providers).routes };
    const config = validateRouterConfig(routing, { providers: providers.map((hosted) => hosted.provider) });
    new Router({ config, providers: providers.map((hosted) => hosted.provider) }).close();
    print(`${loaded.file}: OK`);
    for (const hosted of providers) {
      print(
        `  ${hosted.entry.id}: ${hosted.plugin.name}@${hosted.plugin.version} (${hosted.provider.channel})`,
      );
    }
    print(`  routes: ${config.routes.map((route) => route.id).join(', ')}`);
  } finally {
    await closeProviders(providers);
  }
}

function client(values: ReturnType<typeof options>) {
  return gatewayClient({ url: values.url, apiKey: values['api-key'] }, fail);
}

async function send(argv: string[]): Promise<void> {
  const values = options(argv);
  if (!values.to || !values.text) fail('msg send: --to and --text are required');
  const call = client(values);
  const email = values.to?.includes('@');
  const response = await call('POST', `/v1/messages${values.wait ? '?wait=true' : ''}`, {
    to: values.to,
    text: values.text,
    ...(values.from ? { from: values.from } : {}),
    ...(email ? { subject: values.subject ?? 'Test message from msg' } : {}),
  });
  print(JSON.stringify(response.body, null, 2));
  if (response.status >= 400) process.exit(1);
}

async function providers(argv: string[]): Promise<void> {
  const response = await client(options(argv))('GET', '/v1/providers');
  if (response.status >= 400) fail(JSON.stringify(response.body));
  const list = (response.body.providers ?? []) as Array<{
    id: string;
    channel: string;
    breaker: string;
    halted: boolean;
    score?: number;
    health: { successRate?: number; meanLatencyMs?: number; samples: number };
  }>;
  print('provider          channel  breaker    halted  score  success  latency  samples');
  for (const provider of list) {
    const rate =
      provider.health.successRate === undefined ? '-' : `${(provider.health.successRate * 100).toFixed(1)}%`;
    const latency =
      provider.health.meanLatencyMs === undefined ? '-' : `${provider.health.meanLatencyMs.toFixed(0)}ms`;
    print(
      `${provider.id.padEnd(18)}${provider.channel.padEnd(9)}${provider.breaker.padEnd(11)}${String(provider.halted).padEnd(8)}${String(provider.score ?? '-').padEnd(7)}${rate.padEnd(9)}${latency.padEnd(9)}${provider.health.samples}`,
    );
  }
}

/**
 * The SendGrid event key's public half, read (or generated and stored) where the gateway reads it:
 * the config's `ingress.sendgrid.eventSigningKey`, else the store. An application can be set up
 * before the gateway's first start.
 */
async function sendgridKey(argv: string[], secrets: Secrets): Promise<void> {
  const values = options(argv);
  if (!values.config) fail('msg sendgrid-key: --config <file> is required');
  const { config, directory } = await load(values.config as string, secrets);
  const configured = config.ingress.sendgrid.eventSigningKey;
  if (!configured && config.store.driver === 'memory') {
    fail(
      'msg sendgrid-key: the memory store keeps no key from one start to the next; set ingress.sendgrid.eventSigningKey',
    );
  }
  const store = configured ? undefined : await openStore(config, directory);
  try {
    print((await EventSigningKey.load(configured, store, Date.now())).publicKey);
  } finally {
    await store?.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const secrets: Secrets = {};
  try {
    switch (command) {
      case 'start':
        return await start(rest, false, secrets);
      case 'sandbox':
        return await start(rest, true, secrets);
      case 'check':
        return await check(rest, secrets);
      case 'send':
        return await send(rest);
      case 'providers':
        if (rest[0] && !rest[0].startsWith('-') && rest[0] !== 'list')
          return await operate(command, rest, fail);
        return await providers(rest[0] === 'list' ? rest.slice(1) : rest);
      case 'migrations':
      case 'route':
      case 'audit':
        return await operate(command, rest, fail);
      case 'sendgrid-key':
        return await sendgridKey(rest, secrets);
      default:
        print(USAGE);
        if (command && command !== 'help' && command !== '--help' && command !== '-h') process.exit(1);
    }
  } catch (error) {
    // A `${VAR}` value (a secret in a store path or a plugin path) must not reach the terminal.
    const redact = (text: string) => secrets.current?.redact(text) ?? text;
    // Config and plugin errors already name the file, path and reason; anything else is a bug.
    if (error instanceof ConfigError || MsgError.isInstance(error)) fail(redact((error as Error).message));
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      fail(`cannot reach the gateway (${(error as Error).message}); is it running? Set --url or MSG_URL`);
    }
    fail(redact(error instanceof Error ? (error.stack ?? error.message) : String(error)));
  }
}

await main(process.argv.slice(2));
