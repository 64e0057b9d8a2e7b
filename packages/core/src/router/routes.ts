import { CHANNELS, type Channel, type Message } from '../message.js';
import type { CrossSideFailover, MigrationMode } from '../migration/mode.js';
import { type CompiledPlan, compilePlan } from '../migration/plan.js';
import { phoneNumberCountry } from '../phone.js';
import type { CarrierLookup } from './carriers.js';
import {
  DEFAULT_FAILOVER_TRIGGERS,
  type FailoverTrigger,
  type MigrationSide,
  type RouteConfig,
  type RouteMatch,
  type RoutingStrategy,
  type StickyKey,
} from './config.js';
import { phoneNumberOf, senderOf } from './rollout.js';

export interface RouteProviderEntry {
  id: string;
  weight: number;
  /** Position in the route's list: 0 is the most preferred. */
  priority: number;
}

export interface CompiledMigration {
  id: string;
  from: readonly string[];
  to: readonly string[];
  fromSet: ReadonlySet<string>;
  toSet: ReadonlySet<string>;
  /** The config's mode and percentage; the state store's values, once set, win. */
  mode: MigrationMode;
  percentage: number;
  crossSideFailover: CrossSideFailover;
  /** Share (0-1) of `from` traffic validated on `to` in shadow mode. */
  shadowSample: number;
  plan: CompiledPlan | undefined;
  stickyBy: StickyKey;
  seed: string;
  vipNumbers: ReadonlyMap<string, MigrationSide>;
  vipTags: ReadonlyMap<string, MigrationSide>;
}

/** The delivered rate a `least-cost` route asks of a provider when its config names none. */
export const DEFAULT_QUALITY_FLOOR = 0.9;

export interface CompiledRoute {
  id: string;
  strategy: RoutingStrategy;
  /** The route's providers that serve each channel, in priority order. */
  providers: Readonly<Record<Channel, readonly RouteProviderEntry[]>>;
  migration: CompiledMigration | undefined;
  failoverOn: ReadonlySet<FailoverTrigger>;
  /** A failed provider is retried before the next one is tried (`retries: before-failover`). */
  retryBeforeFailover: boolean;
  /** `least-cost`: the delivered rate a provider needs to be chosen for its price. */
  qualityFloor: number;
  /** `route "zm-mtn" (channel sms, carrier mtn)`, built once. */
  description: string;
  matches: (message: Message, facts: MessageFacts) => boolean;
}

/** Facts about a message that matching may need, each computed at most once and only if asked. */
export class MessageFacts {
  private countryValue: string | undefined | null = null;
  private carrierValue: string | undefined | null = null;

  constructor(
    readonly message: Message,
    private readonly carriers: CarrierLookup,
  ) {}

  get country(): string | undefined {
    if (this.countryValue === null) {
      const number = phoneNumberOf(this.message);
      this.countryValue = number === undefined ? undefined : phoneNumberCountry(number);
    }
    return this.countryValue;
  }

  get carrier(): string | undefined {
    if (this.carrierValue === null) {
      const number = phoneNumberOf(this.message);
      this.carrierValue = number === undefined ? undefined : this.carriers.carrierOf(number);
    }
    return this.carrierValue;
  }
}

function list(value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

function describeMatch(match: RouteMatch | undefined): string {
  if (match === undefined) return 'default route';
  const parts: string[] = [];
  if (match.channel) parts.push(`channel ${match.channel}`);
  for (const key of ['prefix', 'country', 'carrier', 'sender'] as const) {
    const values = list(match[key]);
    if (values) parts.push(`${key} ${values.join('|')}`);
  }
  if (match.tags?.length) parts.push(`tags ${match.tags.join('+')}`);
  return parts.length === 0 ? 'matches all' : parts.join(', ');
}

type Predicate = (message: Message, facts: MessageFacts) => boolean;

/** One predicate per condition, so a message pays only for the conditions a route has. */
function compileMatch(match: RouteMatch | undefined): Predicate {
  if (match === undefined) return () => true;
  const predicates: Predicate[] = [];
  if (match.channel) {
    const channel = match.channel;
    predicates.push((message) => message.channel === channel);
  }
  const prefixes = list(match.prefix);
  if (prefixes) {
    predicates.push((message) => {
      const number = phoneNumberOf(message);
      return number !== undefined && prefixes.some((prefix) => number.startsWith(prefix));
    });
  }
  const countries = list(match.country);
  if (countries) {
    predicates.push((_message, facts) => {
      const country = facts.country;
      return country !== undefined && countries.includes(country);
    });
  }
  const carriers = list(match.carrier);
  if (carriers) {
    predicates.push((_message, facts) => {
      const carrier = facts.carrier;
      return carrier !== undefined && carriers.includes(carrier);
    });
  }
  const tags = match.tags;
  if (tags?.length) {
    predicates.push((message) => {
      const carried = message.tags;
      return carried !== undefined && tags.every((tag) => carried.includes(tag));
    });
  }
  const senders = list(match.sender)?.map((sender) => sender.toLowerCase());
  if (senders) {
    predicates.push((message) => {
      const sender = senderOf(message)?.toLowerCase();
      return sender !== undefined && senders.includes(sender);
    });
  }
  if (predicates.length === 1) return predicates[0] as Predicate;
  return (message, facts) => predicates.every((predicate) => predicate(message, facts));
}

function compileMigration(route: RouteConfig): CompiledMigration | undefined {
  const migration = route.migration;
  if (!migration) return undefined;
  const vipNumbers = new Map<string, MigrationSide>();
  const vipTags = new Map<string, MigrationSide>();
  // The first rule naming a number or tag wins, as routes do.
  for (const rule of migration.vip ?? []) {
    for (const number of rule.numbers ?? []) if (!vipNumbers.has(number)) vipNumbers.set(number, rule.side);
    for (const tag of rule.tags ?? []) if (!vipTags.has(tag)) vipTags.set(tag, rule.side);
  }
  return {
    id: migration.id,
    from: migration.from,
    to: migration.to,
    fromSet: new Set(migration.from),
    toSet: new Set(migration.to),
    mode: migration.mode ?? 'gradual',
    percentage: migration.percentage ?? 0,
    crossSideFailover: migration.crossSideFailover ?? 'gradual',
    shadowSample: migration.shadow?.sample ?? 0.1,
    // Validated with the config: compiling again cannot fail.
    plan: migration.plan === undefined ? undefined : compilePlan(migration.plan, 'plan', []),
    stickyBy: migration.stickyBy ?? 'recipient',
    seed: migration.seed ?? migration.id,
    vipNumbers,
    vipTags,
  };
}

/** Compiles validated routes. `channelOf` gives each provider's channel. */
export function compileRoutes(
  routes: readonly RouteConfig[],
  channelOf: (provider: string) => Channel | undefined,
): CompiledRoute[] {
  return routes.map((route) => {
    const entries: RouteProviderEntry[] = route.providers.map((entry, priority) =>
      typeof entry === 'string'
        ? { id: entry, weight: 1, priority }
        : { id: entry.id, weight: entry.weight ?? 1, priority },
    );
    const providers = Object.fromEntries(
      CHANNELS.map((channel) => [channel, entries.filter((entry) => channelOf(entry.id) === channel)]),
    ) as Record<Channel, RouteProviderEntry[]>;
    return {
      id: route.id,
      strategy: route.strategy ?? 'failover',
      providers,
      migration: compileMigration(route),
      failoverOn: new Set(route.failoverOn ?? DEFAULT_FAILOVER_TRIGGERS),
      retryBeforeFailover: route.retries === 'before-failover',
      qualityFloor: route.qualityFloor ?? DEFAULT_QUALITY_FLOOR,
      description: `route "${route.id}" (${describeMatch(route.match)})`,
      matches: compileMatch(route.match),
    };
  });
}

/** First match wins. */
export function matchRoute(
  routes: readonly CompiledRoute[],
  message: Message,
  carriers: CarrierLookup,
): CompiledRoute | undefined {
  const facts = new MessageFacts(message, carriers);
  for (const route of routes) if (route.matches(message, facts)) return route;
  return undefined;
}
