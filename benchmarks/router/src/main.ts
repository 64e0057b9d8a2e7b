/**
 * Router benchmark: per-message overhead of @msg/core's router (routing + breaker + retry +
 * timeout + rollout + events) against notifme-sdk's fallback strategy and a bare call; failover
 * from a dead first provider with its breaker still closed, per message at p50 and p99, against
 * notifme calling a dead provider first (like with like), and against the router's own
 * `retries: before-failover` order; the cost of skipping an open breaker; and the spread of the
 * rollout hash. Every figure is measured in this run; only ratios compare across machines.
 * The last line printed is one JSON object with the headline figures.
 */
import { createRequire } from 'node:module';
import {
  type Provider,
  ProviderError,
  ROLLOUT_BUCKETS,
  Router,
  type RouterConfig,
  rolloutBucket,
  type SendResult,
  type SmsMessage,
} from '@msg/core';
import winston from 'winston';

const require = createRequire(import.meta.url);
const notifmeModule = require('notifme-sdk') as { default: new (options: unknown) => NotifmeSdk };
const NotifmeSdkClass = notifmeModule.default;

interface NotifmeSdk {
  logger: { configure(options: { transports: unknown[] }): void };
  send(request: { sms: { from: string; to: string; text: string } }): Promise<{ status: string }>;
}

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
/** Messages timed one by one for the failover latency distributions. */
const FAILOVER_MESSAGES = Number(process.env.BENCH_FAILOVER_MESSAGES ?? 50_000);
/** `retries: before-failover` waits real backoffs (100-300 ms): a few messages show it. */
const WAITING_MESSAGES = Number(process.env.BENCH_WAITING_MESSAGES ?? 20);
const SPREAD_NUMBERS = 1_000_000;

const message: SmsMessage = {
  id: 'bench-1',
  channel: 'sms',
  to: '+260971234567',
  from: 'MSG',
  text: 'hello',
};
const accepted: SendResult = { providerMessageId: 'provider-1', status: 'queued' };
const neverAborted = new AbortController().signal;

function instantProvider(id: string): Provider<'sms'> {
  return {
    specificationVersion: 'v1',
    id,
    plugin: '@msg/benchmark',
    channel: 'sms',
    capabilities: { maxBatchSize: 1, unicode: true, deliveryReceipts: false, senderTypes: ['alphanumeric'] },
    send: () => Promise.resolve(accepted),
    close: () => Promise.resolve(),
  };
}

function deadProvider(id: string): Provider<'sms'> {
  return {
    ...instantProvider(id),
    send: () =>
      Promise.reject(new ProviderError({ kind: 'transient', provider: id, message: 'connection refused' })),
  };
}

function notifme(providers: Array<{ id: string; send: () => Promise<string> }>): NotifmeSdk {
  const sdk = new NotifmeSdkClass({
    channels: {
      sms: {
        multiProviderStrategy: 'fallback',
        providers: providers.map((provider) => ({ type: 'custom', ...provider })),
      },
    },
  });
  // logger.mute() leaves winston without transports, and then it keeps every entry (a leak that
  // slows the dead-provider run down over time): a silent transport drops them instead.
  sdk.logger.configure({ transports: [new winston.transports.Console({ silent: true })] });
  return sdk;
}

const notifmeRequest = { sms: { from: 'MSG', to: message.to, text: message.text } };

/** Three providers with a 50% migration: the full router hot path with default policies. */
const happyConfig: RouterConfig = {
  routes: [
    {
      id: 'zambia',
      match: { channel: 'sms', prefix: '+260' },
      providers: ['legacy', 'africastalking', 'backup'],
      migration: { id: 'legacy-to-africastalking', from: ['legacy'], to: ['africastalking'], percentage: 50 },
    },
  ],
};

/** Two providers, first one dead: measured once with its breaker open. */
const twoProviderConfig = (first: string): RouterConfig => ({
  routes: [{ id: 'zambia', match: { channel: 'sms' }, providers: [first, 'healthy'] }],
  providers: { [first]: { breaker: { halfOpenAfterMs: 3_600_000 } } },
});

/**
 * Two providers, the first one dead with a breaker that never opens: every message meets the
 * failure, as each message does until a real breaker opens (and each half-open probe after).
 * The default retry policy (`maxRetries: 2`, `initialDelayMs: 100`) applies.
 */
const closedBreakerConfig = (retries: 'after-failover' | 'before-failover'): RouterConfig => ({
  routes: [{ id: 'zambia', match: { channel: 'sms' }, providers: ['dead', 'healthy'], retries }],
  providers: { dead: { breaker: { failureThreshold: Number.MAX_SAFE_INTEGER } } },
});

/** Per-message latencies in microseconds, each message timed alone at concurrency 1. */
async function latencies(scenario: Scenario, count: number): Promise<number[]> {
  const values: number[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const started = process.hrtime.bigint();
    await scenario();
    values[index] = Number(process.hrtime.bigint() - started) / 1000;
  }
  return values.sort((left, right) => left - right);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

const rounded = (value: number) => Math.round(value * 100) / 100;

type Scenario = () => Promise<unknown>;

async function runRound(scenario: Scenario, iterations: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) await scenario();
  return Number(process.hrtime.bigint() - started) / iterations;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs every scenario round-robin, so drift in machine speed hits them all alike. Returns ns per op. */
async function measure(scenarios: Record<string, Scenario>): Promise<Record<string, number>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (const scenario of Object.values(scenarios)) await runRound(scenario, Math.min(ITERATIONS, 5_000));
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(scenarios).map((name) => [name, []]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, scenario] of Object.entries(scenarios)) {
      gc?.();
      samples[name]?.push(await runRound(scenario, ITERATIONS));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

function rolloutSpread(): { maxDeviationPercent: number; minBucket: number; maxBucket: number } {
  const counts = new Array<number>(ROLLOUT_BUCKETS).fill(0);
  // Consecutive numbers are the hard case for a weak hash (FNV-1a correlates with them).
  for (let index = 0; index < SPREAD_NUMBERS; index++) {
    const number = `+26097${String(index).padStart(7, '0')}`;
    const bucket = rolloutBucket('legacy-to-africastalking', number);
    counts[bucket] = (counts[bucket] as number) + 1;
  }
  const expected = SPREAD_NUMBERS / ROLLOUT_BUCKETS;
  const maxDeviation = Math.max(...counts.map((count) => Math.abs(count - expected) / expected));
  return {
    maxDeviationPercent: Math.round(maxDeviation * 10_000) / 100,
    minBucket: Math.min(...counts),
    maxBucket: Math.max(...counts),
  };
}

const microseconds = (nanoseconds: number) => Math.round(nanoseconds / 10) / 100;
const ratio = (value: number, anchor: number) => Math.round((value / anchor) * 1000) / 1000;

async function main(): Promise<void> {
  const bare = instantProvider('bare');
  const happyRouter = new Router({
    config: happyConfig,
    providers: [instantProvider('legacy'), instantProvider('africastalking'), instantProvider('backup')],
  });
  const baselineRouter = new Router({
    config: twoProviderConfig('primary'),
    providers: [instantProvider('primary'), instantProvider('healthy')],
  });
  const skipRouter = new Router({
    config: twoProviderConfig('dead'),
    providers: [deadProvider('dead'), instantProvider('healthy')],
    // Only the warm-up below retries; an open breaker is skipped without waiting.
    sleep: () => Promise.resolve(),
  });
  while (skipRouter.status().providers.find((provider) => provider.id === 'dead')?.breaker !== 'open') {
    await skipRouter.send(message);
  }
  const notifmeHealthy = notifme([
    { id: 'first', send: () => Promise.resolve('id-1') },
    { id: 'second', send: () => Promise.resolve('id-2') },
  ]);
  const notifmeDeadFirst = notifme([
    { id: 'dead', send: () => Promise.reject(new Error('connection refused')) },
    { id: 'second', send: () => Promise.resolve('id-2') },
  ]);
  const check = await notifmeDeadFirst.send(notifmeRequest);
  if (check.status !== 'success') throw new Error('notifme fallback did not reach the second provider');
  const closedRouter = new Router({
    config: closedBreakerConfig('after-failover'),
    providers: [deadProvider('dead'), instantProvider('healthy')],
  });
  const waitingRouter = new Router({
    config: closedBreakerConfig('before-failover'),
    providers: [deadProvider('dead'), instantProvider('healthy')],
  });
  const failedOver = await closedRouter.send(message);
  if (failedOver.attempts.length !== 2 || failedOver.provider !== 'healthy') {
    throw new Error('the router did not fail over from the dead provider to the healthy one');
  }

  const results = await measure({
    bare: () => bare.send(message, { signal: neverAborted }),
    router: () => happyRouter.send(message),
    notifme: () => notifmeHealthy.send(notifmeRequest),
    routerTwoProviders: () => baselineRouter.send(message),
    routerOpenBreakerFirst: () => skipRouter.send(message),
    notifmeDeadFirst: () => notifmeDeadFirst.send(notifmeRequest),
  });
  // Failover with the breaker closed, message by message. The dead provider rejects at once, so
  // a message's whole time is what the router adds beyond the failed attempt (an upper bound).
  await latencies(() => closedRouter.send(message), 5_000);
  await latencies(() => notifmeDeadFirst.send(notifmeRequest), 5_000);
  const closedFailover = await latencies(() => closedRouter.send(message), FAILOVER_MESSAGES);
  const notifmeFailover = await latencies(() => notifmeDeadFirst.send(notifmeRequest), FAILOVER_MESSAGES);
  const waitingFailover = await latencies(() => waitingRouter.send(message), WAITING_MESSAGES);
  const distribution = (sorted: number[]) => ({
    p50: rounded(percentile(sorted, 50)),
    p99: rounded(percentile(sorted, 99)),
  });
  const failover = {
    router: distribution(closedFailover),
    notifme: distribution(notifmeFailover),
    routerBeforeFailover: distribution(waitingFailover),
  };

  const bareNs = results.bare as number;
  const routerOverheadNs = (results.router as number) - bareNs;
  const notifmeOverheadNs = (results.notifme as number) - bareNs;
  // Each side's extra cost over its own healthy two-provider run, as measured: the router's is small
  // enough to come out negative in noise, and is then reported negative, never clipped.
  const skipDifferenceNs =
    (results.routerOpenBreakerFirst as number) - (results.routerTwoProviders as number);
  const deadCostNs = (results.notifmeDeadFirst as number) - (results.notifme as number);
  const spread = rolloutSpread();

  console.log('per message (median of rounds, concurrency 1):');
  for (const [name, nanoseconds] of Object.entries(results)) {
    console.log(`  ${name.padEnd(24)} ${microseconds(nanoseconds).toFixed(2).padStart(8)} µs`);
  }
  console.log(`router overhead over a bare call:      ${microseconds(routerOverheadNs)} µs`);
  console.log(`notifme overhead over a bare call:     ${microseconds(notifmeOverheadNs)} µs`);
  console.log(`router skipping an open breaker costs: ${microseconds(skipDifferenceNs)} µs`);
  console.log(`notifme trying a dead provider costs:  ${microseconds(deadCostNs)} µs`);
  console.log('failover from a dead first provider, breaker closed, per message (µs):');
  console.log(`  router (default, after-failover)  p50 ${failover.router.p50}  p99 ${failover.router.p99}`);
  console.log(`  notifme fallback                  p50 ${failover.notifme.p50}  p99 ${failover.notifme.p99}`);
  console.log(
    `  router, retries: before-failover  p50 ${failover.routerBeforeFailover.p50}  p99 ${failover.routerBeforeFailover.p99} (${WAITING_MESSAGES} messages)`,
  );
  console.log(
    `rollout spread over ${SPREAD_NUMBERS} numbers: buckets ${spread.minBucket}-${spread.maxBucket}, max deviation ${spread.maxDeviationPercent}%`,
  );

  const happyRatio = ratio(routerOverheadNs, notifmeOverheadNs);
  const skipRatio = ratio(skipDifferenceNs, deadCostNs);
  const failoverTargetMet = failover.router.p50 < 1000 && failover.router.p99 < 1000;
  const summary = {
    iterations: ITERATIONS,
    rounds: ROUNDS,
    bareMicroseconds: microseconds(bareNs),
    routerMicroseconds: microseconds(results.router as number),
    notifmeMicroseconds: microseconds(results.notifme as number),
    routerOverheadMicroseconds: microseconds(routerOverheadNs),
    notifmeOverheadMicroseconds: microseconds(notifmeOverheadNs),
    happyPathOverheadRatio: happyRatio,
    happyPathTargetMet: happyRatio <= 1,
    routerOpenBreakerFirstMicroseconds: microseconds(results.routerOpenBreakerFirst as number),
    notifmeDeadFirstMicroseconds: microseconds(results.notifmeDeadFirst as number),
    openBreakerSkipMicroseconds: microseconds(skipDifferenceNs),
    notifmeDeadProviderMicroseconds: microseconds(deadCostNs),
    openBreakerSkipRatio: skipRatio,
    openBreakerTargetMet: skipRatio <= 0.25,
    failoverMessages: FAILOVER_MESSAGES,
    failoverP50Microseconds: failover.router.p50,
    failoverP99Microseconds: failover.router.p99,
    notifmeFailoverP50Microseconds: failover.notifme.p50,
    notifmeFailoverP99Microseconds: failover.notifme.p99,
    failoverP50Ratio: ratio(failover.router.p50, failover.notifme.p50),
    failoverP99Ratio: ratio(failover.router.p99, failover.notifme.p99),
    beforeFailoverP50Microseconds: failover.routerBeforeFailover.p50,
    beforeFailoverP99Microseconds: failover.routerBeforeFailover.p99,
    failoverTargetMet,
    rolloutMaxBucketDeviationPercent: spread.maxDeviationPercent,
    rolloutSpreadTargetMet: spread.maxDeviationPercent <= 3,
  };
  console.log(JSON.stringify(summary));
}

await main();
