/**
 * The measuring shared by every `<plugin>.bench.ts`: sends per second through a plugin against raw
 * undici `Pool.request` posting the same request to the same loopback simulator, at the same
 * concurrency, in one run. A bench file only describes its plugin (`runPluginBench`).
 *
 * Settings come from the environment: CONCURRENCY (16), ROUNDS (5), ROUND_MS (2000), SLICE_MS (250).
 * The last line printed is one JSON object: { plugin, pluginPerSecond, rawPerSecond, ratio, concurrency }.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { EmailMessage } from '@msg/core';
import { Pool } from 'undici';

export interface BenchSettings {
  concurrency: number;
  rounds: number;
  /** Time per round, shared between plugin and raw slices. */
  roundMs: number;
  /** One slice of plugin or raw sends; short, so both see the same load on a shared machine. */
  sliceMs: number;
}

export interface PluginBench {
  /** Package name, as printed in the result. */
  plugin: string;
  /** One send through the plugin, with a fresh signal as the router gives one. */
  pluginSend(): Promise<unknown>;
  /** The same request through raw undici; `replayRequest` builds it from what the plugin sent. */
  rawSend(): Promise<unknown>;
  /** Closes the provider, the raw pool and the simulator. */
  close(): Promise<void>;
}

export interface BenchResult {
  plugin: string;
  pluginPerSecond: number;
  rawPerSecond: number;
  ratio: number;
  concurrency: number;
}

export function settingsFromEnvironment(environment = process.env): BenchSettings {
  const read = (name: string, fallback: number) => {
    const value = Number(environment[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
    return value;
  };
  return {
    concurrency: read('CONCURRENCY', 16),
    rounds: read('ROUNDS', 5),
    roundMs: read('ROUND_MS', 2000),
    sliceMs: read('SLICE_MS', 250),
  };
}

/** Email benches send the same small message, each with its own id. */
export function emailMessages(from: string): () => EmailMessage {
  let counter = 0;
  return () => ({
    id: `bench-${++counter}`,
    channel: 'email',
    from: { email: from, name: 'Sender' },
    to: [{ email: 'to@example.com' }],
    subject: 'Benchmark',
    text: 'Hello from the benchmark',
  });
}

/** A request the simulator recorded: what the plugin put on the wire. */
export interface SentRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/** Set by the connection, not by the sender: undici writes its own. */
const CONNECTION_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'keep-alive',
  'transfer-encoding',
]);

/**
 * Raw undici replaying exactly what the plugin sent (path, headers, body bytes) to `origin`; a
 * signed request stays valid because host and bytes are the same. Throws on any other status.
 */
export function replayRequest(
  origin: string,
  request: SentRequest | undefined,
  options: { status: number; connections: number },
): { send: () => Promise<void>; close: () => Promise<void> } {
  if (!request) throw new Error('the simulator recorded no request to replay');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string' && !CONNECTION_HEADERS.has(name)) headers[name] = value;
  }
  const pool = new Pool(origin, { connections: options.connections, keepAliveTimeout: 30_000 });
  return {
    async send() {
      const response = await pool.request({
        method: 'POST',
        path: request.path,
        headers,
        body: request.body,
      });
      await response.body.arrayBuffer();
      if (response.statusCode !== options.status) throw new Error(`raw send answered ${response.statusCode}`);
    },
    close: () => pool.close(),
  };
}

interface Tally {
  sends: number;
  milliseconds: number;
  cpuMicroseconds: number;
}

const emptyTally = (): Tally => ({ sends: 0, milliseconds: 0, cpuMicroseconds: 0 });
const perSecond = (tally: Tally) => tally.sends / (tally.milliseconds / 1000);
const cpuPerSend = (tally: Tally) => tally.cpuMicroseconds / Math.max(1, tally.sends);

export function median(values: readonly number[]): number {
  return [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)] ?? 0;
}

/** `concurrency` workers send back to back until the slice's deadline. */
async function slice(
  operation: () => Promise<unknown>,
  tally: Tally,
  settings: BenchSettings,
): Promise<void> {
  const started = performance.now();
  const deadline = started + settings.sliceMs;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation();
        tally.sends++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  tally.milliseconds += performance.now() - started;
  tally.cpuMicroseconds += used.user + used.system;
}

/** One round alternates plugin and raw slices; its rate is sends over time summed across its slices. */
async function round(bench: PluginBench, settings: BenchSettings): Promise<{ plugin: Tally; raw: Tally }> {
  const plugin = emptyTally();
  const raw = emptyTally();
  const pairs = Math.max(1, Math.round(settings.roundMs / settings.sliceMs / 2));
  for (let index = 0; index < pairs; index++) {
    await slice(bench.pluginSend, plugin, settings);
    await slice(bench.rawSend, raw, settings);
  }
  return { plugin, raw };
}

/** Warms up, measures `rounds` rounds, closes the bench, prints each round and the JSON result line. */
export async function runPluginBench(
  bench: PluginBench,
  settings: BenchSettings = settingsFromEnvironment(),
): Promise<BenchResult> {
  const pluginRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  try {
    await round(bench, settings); // warm-up: JIT, sockets, SDK caches
    for (let index = 1; index <= settings.rounds; index++) {
      const { plugin, raw } = await round(bench, settings);
      const ratio = perSecond(plugin) / perSecond(raw);
      pluginRates.push(perSecond(plugin));
      rawRates.push(perSecond(raw));
      ratios.push(ratio);
      console.log(
        `round ${index}: plugin ${perSecond(plugin).toFixed(0)}/s (${cpuPerSend(plugin).toFixed(0)} µs CPU/send), ` +
          `raw undici ${perSecond(raw).toFixed(0)}/s (${cpuPerSend(raw).toFixed(0)} µs CPU/send), ratio ${ratio.toFixed(3)}`,
      );
    }
  } finally {
    await bench.close();
  }
  const result: BenchResult = {
    plugin: bench.plugin,
    pluginPerSecond: Math.round(median(pluginRates)),
    rawPerSecond: Math.round(median(rawRates)),
    // Median of the per-round ratios: each round pairs plugin and raw under the same load.
    ratio: Number(median(ratios).toFixed(3)),
    concurrency: settings.concurrency,
  };
  console.log(JSON.stringify(result));
  return result;
}

export interface ReplayBench {
  plugin: string;
  /** The started simulator: the plugin's first request is replayed from its record. */
  simulator: { url: string; requests: readonly SentRequest[]; stop(): Promise<void> };
  provider: { close(): Promise<void> };
  pluginSend(): Promise<unknown>;
  /** The status the simulator answers a successful send with. */
  successStatus: number;
}

/**
 * The usual bench: one send through the plugin, then raw undici replaying that request against
 * further plugin sends; closes provider, raw pool and simulator at the end.
 */
export async function runReplayBench(
  bench: ReplayBench,
  settings: BenchSettings = settingsFromEnvironment(),
): Promise<BenchResult> {
  await bench.pluginSend();
  const raw = replayRequest(bench.simulator.url, bench.simulator.requests.at(-1), {
    status: bench.successStatus,
    connections: settings.concurrency,
  });
  return runPluginBench(
    {
      plugin: bench.plugin,
      pluginSend: bench.pluginSend,
      rawSend: raw.send,
      async close() {
        await bench.provider.close();
        await raw.close();
        await bench.simulator.stop();
      },
    },
    settings,
  );
}
