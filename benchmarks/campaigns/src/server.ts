// One server per child process, so the load generator never shares its event loop:
//   simulator                      the Africa's Talking simulator (as the real provider would be,
//                                  in its own process) behind a counting proxy; `/accepted` says
//                                  how many recipients it accepted so far
//   gateway <file> <simulatorUrl>  the gateway on SQLite with the Africa's Talking plugin to it,
//                                  credits on, the price table in KES, campaigns with defaults
import { createServer } from 'node:http';
import { createGateway, parseConfig } from '@msg/gateway';
import { createAfricasTalkingSimulator } from '@msg/plugin-africastalking/simulator';
import { Pool } from 'undici';
import { ADMIN_KEY, API_KEY, AT_API_KEY, AT_USERNAME } from './constants.js';

const [mode, ...args] = process.argv.slice(2) as [string, ...string[]];

async function simulator(): Promise<string> {
  const at = createAfricasTalkingSimulator({ accounts: { [AT_USERNAME]: AT_API_KEY } });
  const upstream = new Pool(await at.start(), { connections: 64 });
  let accepted = 0;
  // In front of the simulator, in its process: counts the recipients of every request it answered
  // 201 (all numbers here are valid, so each is accepted), for the ledger check; `/accepted` says.
  const proxy = createServer((request, response) => {
    if (request.url === '/accepted') {
      response.end(JSON.stringify({ accepted }));
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks);
      const { authorization: _drop, host: _host, connection: _connection, ...headers } = request.headers;
      try {
        const answer = await upstream.request({
          method: request.method as 'POST',
          path: request.url ?? '/',
          headers: headers as Record<string, string>,
          body,
        });
        const text = await answer.body.text();
        if (answer.statusCode === 201) {
          accepted += (new URLSearchParams(body.toString()).get('to') ?? '')
            .split(',')
            .filter(Boolean).length;
        }
        response.writeHead(answer.statusCode, {
          'content-type': String(answer.headers['content-type'] ?? 'text/plain'),
        });
        response.end(text);
      } catch (error) {
        response.writeHead(502);
        response.end(String(error));
      }
    });
  });
  return new Promise<string>((resolve) =>
    proxy.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(proxy.address() as { port: number }).port}`),
    ),
  );
}

async function gateway(storePath: string, simulatorUrl: string): Promise<string> {
  const loaded = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 50 * 1024 * 1024 },
      apiKeys: [
        { id: 'shop', key: API_KEY, scopes: ['send', 'read'], rateLimitPerMinute: 100_000_000 },
        { id: 'ops', key: ADMIN_KEY, scopes: ['admin'] },
      ],
      store: { driver: 'sqlite', path: storePath, synchronous: 'normal' },
      callbacks: { signingSecret: 'bench-callback-signing-secret' },
      credits: { enabled: true },
      costs: { currency: 'KES', prices: [{ provider: 'at', amount: '1.0000' }] },
      ...(process.env.BENCH_RATE
        ? {
            routing: {
              providers: {
                at: {
                  rateLimit: {
                    perSecond: Number(process.env.BENCH_RATE),
                    burst: Number(process.env.BENCH_RATE),
                  },
                },
              },
            },
          }
        : {}),
      plugins: [
        {
          resolve: '@msg/plugin-africastalking',
          id: 'at',
          options: { username: AT_USERNAME, apiKey: AT_API_KEY, baseUrl: simulatorUrl },
        },
      ],
      log: { level: 'warn' },
    },
    { directory: process.cwd() },
  );
  const started = await createGateway(loaded).start();
  return started.url;
}

const url = mode === 'simulator' ? await simulator() : await gateway(args[0] as string, args[1] as string);
process.on('SIGTERM', () => process.exit(0));
if (process.env.BENCH_MEMORY_LOG) {
  setInterval(() => {
    const usage = process.memoryUsage();
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    process.stderr.write(
      `${mode} memory: rss ${mb(usage.rss)} heap ${mb(usage.heapUsed)}/${mb(usage.heapTotal)} external ${mb(usage.external)} arrayBuffers ${mb(usage.arrayBuffers)}\n`,
    );
  }, 2000).unref();
}
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
