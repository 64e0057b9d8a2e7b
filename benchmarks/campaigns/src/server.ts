// The simulator in its own process, so the load generator never shares its event loop: the
// Africa's Talking simulator (as the real provider would be) behind a counting proxy; `/accepted`
// says how many recipients it accepted so far. The gateway runs the built CLI (see main.ts).
import { createServer } from 'node:http';
import { createAfricasTalkingSimulator } from '@msg/plugin-africastalking/simulator';
import { Pool } from 'undici';
import { AT_API_KEY, AT_USERNAME } from './constants.js';

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

const url = await simulator();
process.on('SIGTERM', () => process.exit(0));
if (process.env.BENCH_MEMORY_LOG) {
  setInterval(() => {
    const usage = process.memoryUsage();
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    process.stderr.write(
      `simulator memory: rss ${mb(usage.rss)} heap ${mb(usage.heapUsed)}/${mb(usage.heapTotal)} external ${mb(usage.external)} arrayBuffers ${mb(usage.arrayBuffers)}\n`,
    );
  }, 2000).unref();
}
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
