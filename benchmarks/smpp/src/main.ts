/**
 * Submits per second through @msg/smpp against its simulator on loopback, window 1 / 10 / 50, same
 * run. Each window gets a warm-up and several rounds; the median round counts. The last line is
 * one JSON object.
 */
import { createSmppSession } from '@msg/smpp';
import { createSmscSimulator } from '@msg/smpp/simulator';

const WINDOWS = [1, 10, 50];
const ROUNDS = 5;
const MESSAGES_PER_ROUND = Number(process.env.SMPP_BENCH_MESSAGES ?? 4000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function measure(port: number, windowSize: number): Promise<number> {
  const session = createSmppSession({
    host: '127.0.0.1',
    port,
    systemId: 'bench',
    password: 'bench',
    windowSize,
    queueTimeoutMs: 60_000,
    enquireLinkIntervalMs: 0,
  });
  await session.connect();
  // Twice the window in callers keeps the window full without a long queue.
  const callers = windowSize * 2;
  const round = async (count: number) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (next < count) {
          const index = next++;
          await session.submit({
            to: `2609710${String(index % 100_000).padStart(5, '0')}`,
            from: 'MSG',
            text: `benchmark message ${index}`,
            registeredDelivery: false,
          });
        }
      }),
    );
    return (count / (performance.now() - started)) * 1000;
  };
  await round(Math.min(1000, MESSAGES_PER_ROUND));
  const rates: number[] = [];
  for (let index = 0; index < ROUNDS; index++) rates.push(await round(MESSAGES_PER_ROUND));
  await session.close();
  return median(rates);
}

const simulator = await createSmscSimulator({ credentials: { bench: 'bench' } });
const results: Record<string, number> = {};
for (const windowSize of WINDOWS) {
  const perSecond = await measure(simulator.port, windowSize);
  results[`window${windowSize}`] = Math.round(perSecond);
  console.log(`window ${String(windowSize).padStart(2)}: ${Math.round(perSecond)} submits/s`);
}
await simulator.stop();
const baseline = results.window1 as number;
console.log(
  JSON.stringify({
    package: '@msg/smpp',
    submitsPerSecond: results,
    speedupWindow10: Number(((results.window10 as number) / baseline).toFixed(2)),
    speedupWindow50: Number(((results.window50 as number) / baseline).toFixed(2)),
    messagesPerRound: MESSAGES_PER_ROUND,
    rounds: ROUNDS,
    node: process.version,
  }),
);
