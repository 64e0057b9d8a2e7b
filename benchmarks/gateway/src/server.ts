// One server per child process, so the load generator never shares its event loop:
//   hello           Fastify hello-world (POST JSON -> 202), the anchor
//   gateway-null    the gateway on SQLite (WAL, synchronous=normal) with the console plugin, silent
//   twilio-simulator  the Twilio simulator alone (its own process, as the real Twilio would be)
//   gateway-twilio <simulator url>  the gateway through the Twilio plugin to that simulator; the
//                   simulator's signed status callbacks come back to the gateway's webhook
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, parseConfig } from '@msg/gateway';
import { createTwilioSimulator } from '@msg/plugin-twilio/simulator';
import Fastify from 'fastify';

const API_KEY = 'bench-key-0123456789abcdef';
const TWILIO_SID = `AC${'5a'.repeat(16)}`;
const TWILIO_TOKEN = 'bench-twilio-auth-token';
const mode = process.argv[2];

async function hello(): Promise<string> {
  const app = Fastify({ logger: false });
  let counter = 0;
  app.post('/v1/messages', async (_request, reply) =>
    reply.code(202).send({ id: `msg_${++counter}`, status: 'queued' }),
  );
  app.get('/readyz', async () => ({ status: 'ready', queue: { queued: 0, inFlight: 0 } }));
  return app.listen({ host: '127.0.0.1', port: 0 });
}

async function twilioSimulator(): Promise<string> {
  const simulator = createTwilioSimulator({ accounts: { [TWILIO_SID]: TWILIO_TOKEN } });
  return simulator.start();
}

async function gateway(path: 'null' | 'twilio', simulatorUrl?: string): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'msg-bench-'));
  const plugins =
    path === 'null'
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
      store: { driver: 'sqlite', path: join(directory, 'gateway.sqlite'), synchronous: 'normal' },
      dispatch: { concurrency: 64 },
      callbacks: { signingSecret: 'bench-callback-signing-secret' },
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
    : mode === 'twilio-simulator'
      ? await twilioSimulator()
      : await gateway(mode === 'gateway-twilio' ? 'twilio' : 'null', process.argv[3]);
process.stdout.write(`${JSON.stringify({ url })}\n`);
