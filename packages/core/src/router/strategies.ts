import type { Message } from '../message.js';
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
  /** `least-cost`: what the message costs through the provider (any unit), undefined when unknown. */
  price?: ((provider: string, message: Message) => number | undefined) | undefined;
  /** `least-cost`: the provider's recent delivered rate (0-1) from receipts, undefined without any. */
  deliveredRate?: ((provider: string) => number | undefined) | undefined;
  /** `least-cost`: whether the provider's breaker is closed. */
  breakerClosed?: ((provider: string) => boolean) | undefined;
}

/** What the `least-cost` strategy needs of the message and the route. */
export interface CostInput {
  message: Message;
  qualityFloor: number;
}

const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;

/**
 * Cheapest first among the providers whose breaker is closed and whose recent delivered rate is
 * at or above the floor (a provider with no receipts yet is not held back); a provider with no
 * price comes after those with one. The others follow in the route's order, as failover only.
 */
function leastCostOrder(
  entries: readonly RouteProviderEntry[],
  context: StrategyContext,
  input: CostInput,
): Ordering {
  const eligible: Array<{ entry: RouteProviderEntry; price: number | undefined; index: number }> = [];
  const held: RouteProviderEntry[] = [];
  const notes: string[] = [];
  entries.forEach((entry, index) => {
    if (context.breakerClosed && !context.breakerClosed(entry.id)) {
      held.push(entry);
      notes.push(`${entry.id} breaker not closed`);
      return;
    }
    const rate = context.deliveredRate?.(entry.id);
    if (rate !== undefined && rate < input.qualityFloor) {
      held.push(entry);
      notes.push(`${entry.id} delivered ${percent(rate)} < floor ${percent(input.qualityFloor)}`);
      return;
    }
    eligible.push({ entry, price: context.price?.(entry.id, input.message), index });
  });
  eligible.sort(
    (left, right) =>
      (left.price ?? Number.POSITIVE_INFINITY) - (right.price ?? Number.POSITIVE_INFINITY) ||
      left.index - right.index,
  );
  const ranked = eligible
    .map((item) => `${item.entry.id} ${item.price === undefined ? 'no price' : item.price}`)
    .join(' < ');
  const reason = `least cost ${ranked || 'none eligible'}${notes.length > 0 ? ` (${notes.join('; ')}: failover only)` : ''}`;
  return { providers: [...eligible.map((item) => item.entry), ...held], reason };
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
  cost?: CostInput,
): Ordering {
  if (strategy === 'least-cost' && cost && entries.length > 0) return leastCostOrder(entries, context, cost);
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
