// One server per child process, so the load generator never shares its event loop:
//   hello                          Fastify hello-world (POST JSON -> 202), an anchor
//   sqlite-insert <file>           Fastify + better-sqlite3, one insert per request (WAL,
//                                  synchronous=NORMAL), the other anchor
//   twilio-simulator <delayMs>     the Twilio simulator alone (its own process, as the real Twilio
//                                  would be); its signed status callbacks go out with undici after
//                                  `delayMs` (a delay longer than the run sends none)
//   gateway <file> console         the gateway on SQLite with the console plugin, silent
//   gateway <file> twilio <url>    the gateway through the Twilio plugin to that simulator, whose
//                                  callbacks come back to the gateway's webhook
// The gateway runs with its defaults (dispatch concurrency, backlog bound, retention).
import { randomUUID } from 'node:crypto';
import { createGateway, parseConfig } from '@msg/gateway';
import { createTwilioSimulator } from '@msg/plugin-twilio/simulator';
import Database from 'better-sqlite3';
import Fastify from 'fastify';

export const API_KEY = 'bench-key-0123456789abcdef';
export const TWILIO_SID = `AC${'5a'.repeat(16)}`;
const TWILIO_TOKEN = 'bench-twilio-auth-token';
const [mode, ...args] = process.argv.slice(2) as [string, ...string[]];

async function hello(): Promise<string> {
  const app = Fastify({ logger: false });
  let counter = 0;
  app.post('/v1/messages', async (_request, reply) =>
    reply.code(202).send({ id: `msg_${++counter}`, status: 'queued' }),
  );
  return app.listen({ host: '127.0.0.1', port: 0 });
}

async function sqliteInsert(path: string): Promise<string> {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, payload TEXT NOT NULL, created_at INTEGER NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO messages (id, payload, created_at) VALUES (?, ?, ?)');
  const app = Fastify({ logger: false });
  app.post('/v1/messages', async (request, reply) => {
    const id = `msg_${randomUUID().replaceAll('-', '')}`;
    insert.run(id, JSON.stringify(request.body), Date.now());
    return reply.code(202).send({ id, status: 'queued' });
  });
  return app.listen({ host: '127.0.0.1', port: 0 });
}

async function twilioSimulator(callbackDelayMs: number): Promise<string> {
  const simulator = createTwilioSimulator({ accounts: { [TWILIO_SID]: TWILIO_TOKEN }, callbackDelayMs });
  return simulator.start();
}

async function gateway(storePath: string, path: string, simulatorUrl?: string): Promise<string> {
  const plugins =
    path === 'console'
      ? [{ resolve: '@msg/plugin-console', id: 'console', options: { silent: true } }]
      : [
          {
            resolve: '@msg/plugin-twilio',
            id: 'twilio',
            options: {
              accountSid: TWILIO_SID,
              authToken: TWILIO_TOKEN,
              from: '+15005550006',
              baseUrl: simulatorUrl,
            },
          },
        ];
  const loaded = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      apiKeys: [{ id: 'bench', key: API_KEY, scopes: ['send', 'read'], rateLimitPerMinute: 100_000_000 }],
      store: { driver: 'sqlite', path: storePath, synchronous: 'normal' },
      callbacks: { signingSecret: 'bench-callback-signing-secret' },
      // Unset in the benchmark: the gateway's default. An experiment can fix it.
      ...(process.env.BENCH_DISPATCH_CONCURRENCY
        ? { dispatch: { concurrency: Number(process.env.BENCH_DISPATCH_CONCURRENCY) } }
        : {}),
      plugins,
      log: { level: 'warn' },
    },
    { directory: process.cwd() },
  );
  const started = await createGateway(loaded).start();
  return started.url;
}

const url =
  mode === 'hello'
    ? await hello()
    : mode === 'sqlite-insert'
      ? await sqliteInsert(args[0] as string)
      : mode === 'twilio-simulator'
        ? await twilioSimulator(Number(args[0]))
        : await gateway(args[0] as string, args[1] as string, args[2]);
// SIGTERM ends at once (a profile taken with --cpu-prof is written on exit).
process.on('SIGTERM', () => process.exit(0));
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
