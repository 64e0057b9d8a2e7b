import type { HealthWeights, RoutingStrategy } from './config.js';
import type { RouteProviderEntry } from './routes.js';

/** What the health-scored strategy knows about a provider at decision time. */
export interface ProviderLoad {
  successRate: number | undefined;
  meanLatencyMs: number | undefined;
  inFlight: number;
  maxInFlight: number | undefined;
}

export interface StrategyContext {
  random: () => number;
  load: (provider: string) => ProviderLoad;
  weights: HealthWeights;
}

export interface Ordering {
  providers: RouteProviderEntry[];
  reason: string;
}

export interface ProviderScore {
  provider: string;
  score: number;
  health: number;
  priority: number;
  latency: number;
  load: number;
}

/**
 * Scores 0-100: success rate over the window, the route's priority order, latency relative to the
 * fastest candidate, and in-flight load, weighted (40/30/20/10 unless configured). A provider with
 * no recent calls scores as healthy and fast, so that a new provider gets traffic to be measured.
 */
export function scoreProviders(
  entries: readonly RouteProviderEntry[],
  context: Pick<StrategyContext, 'load' | 'weights'>,
): ProviderScore[] {
  const loads = entries.map((entry) => context.load(entry.id));
  let fastest = Number.POSITIVE_INFINITY;
  for (const load of loads) {
    if (load.meanLatencyMs !== undefined) fastest = Math.min(fastest, load.meanLatencyMs);
  }
  const { weights } = context;
  const total = weights.health + weights.priority + weights.latency + weights.load;
  return entries.map((entry, index) => {
    const load = loads[index] as ProviderLoad;
    const health = load.successRate ?? 1;
    const priority = entries.length === 1 ? 1 : 1 - index / (entries.length - 1);
    const latency =
      load.meanLatencyMs === undefined || load.meanLatencyMs <= 0
        ? 1
        : Math.max(fastest, 0.001) / load.meanLatencyMs;
    const busy =
      load.maxInFlight === undefined
        ? 1 / (1 + load.inFlight)
        : 1 - Math.min(1, load.inFlight / load.maxInFlight);
    const score =
      ((weights.health * health +
        weights.priority * priority +
        weights.latency * latency +
        weights.load * busy) /
        total) *
      100;
    return { provider: entry.id, score, health, priority, latency, load: busy };
  });
}

function weightedOrder(entries: readonly RouteProviderEntry[], random: () => number): RouteProviderEntry[] {
  const remaining = [...entries];
  const ordered: RouteProviderEntry[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, entry) => sum + entry.weight, 0);
    let point = random() * total;
    let index = 0;
    while (index < remaining.length - 1 && point >= (remaining[index] as RouteProviderEntry).weight) {
      point -= (remaining[index] as RouteProviderEntry).weight;
      index++;
    }
    ordered.push(remaining.splice(index, 1)[0] as RouteProviderEntry);
  }
  return ordered;
}

const round = (value: number) => Math.round(value * 10) / 10;

/** Orders a route's candidates by its strategy, with the reason for the order. */
export function orderProviders(
  strategy: RoutingStrategy,
  entries: readonly RouteProviderEntry[],
  context: StrategyContext,
): Ordering {
  if (entries.length <= 1) {
    return { providers: [...entries], reason: entries[0] ? `only ${entries[0].id}` : 'no provider' };
  }
  if (strategy === 'weighted') {
    const providers = weightedOrder(entries, context.random);
    const first = providers[0] as RouteProviderEntry;
    const total = entries.reduce((sum, entry) => sum + entry.weight, 0);
    return { providers, reason: `weighted pick ${first.id} (weight ${first.weight} of ${total})` };
  }
  if (strategy === 'health') {
    const scores = scoreProviders(entries, context);
    const order = entries
      .map((entry, index) => ({ entry, score: (scores[index] as ProviderScore).score, index }))
      // Ties keep the route's order.
      .sort((left, right) => right.score - left.score || left.index - right.index);
    return {
      providers: order.map((item) => item.entry),
      reason: `health score ${order.map((item) => `${item.entry.id} ${round(item.score)}`).join(' > ')}`,
    };
  }
  return {
    providers: [...entries],
    reason: `failover order ${entries.map((entry) => entry.id).join(' > ')}`,
  };
}
