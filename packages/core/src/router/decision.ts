import type { Message } from '../message.js';
import { crossesSides, type MigrationMode } from '../migration/mode.js';
import type { MigrationSide } from './config.js';
import { recipientOf, rolloutBucket, rolloutSide, stickyKeyOf } from './rollout.js';
import type { CompiledMigration, CompiledRoute, RouteProviderEntry } from './routes.js';
import type { RouterStateStore } from './state.js';
import { orderProviders, type StrategyContext } from './strategies.js';

/** Per-message routing instructions from the caller. */
export interface RoutingOverride {
  /** Send through this provider only (tests, support). Halted or emergency-stopped providers refuse it. */
  provider?: string | undefined;
  /**
   * Go through this route (by id) instead of the first whose match fits: its strategy, failover,
   * migration and breakers, as if it had matched (a campaign sent on a route of its own).
   */
  route?: string | undefined;
  /** Put the message on this side of the route's migration, whatever its bucket. */
  side?: MigrationSide | undefined;
}

export interface MigrationDecision {
  id: string;
  side: MigrationSide;
  /** The mode in force: it decides where traffic goes, the percentage only in `gradual`. */
  mode: MigrationMode;
  /** What chose the side. */
  basis: 'bucket' | 'vip' | 'override' | 'mode' | 'emergency-stop';
  /** The recipient's bucket (0-99), when the bucket chose. */
  bucket: number | undefined;
  percentage: number;
  /** The mode is `rolled-back`. */
  emergencyStop: boolean;
}

export interface ExcludedProvider {
  provider: string;
  /**
   * `halted`; `emergency-stop` (the `to` side of a rolled-back migration); `migration-side` (the
   * other side of a migration whose mode keeps failover on the chosen side); `spend-limit` (its
   * spend this month reached the limit the host set).
   */
  reason: 'halted' | 'emergency-stop' | 'migration-side' | 'spend-limit';
}

/** Where a message goes and why: `router.decide` returns it, and every send carries one. */
export interface RoutingDecision {
  route: string;
  /** Providers to try, in order. Breakers, bulkheads and rate limits are checked at send time. */
  candidates: readonly string[];
  /** Every step of the decision, in order, joined: `route "zm" (...); rollout bucket 37 < 50 -> africastalking`. */
  reason: string;
  reasons: readonly string[];
  migration: MigrationDecision | undefined;
  excluded: readonly ExcludedProvider[];
  /**
   * Where the message goes, as migration analysis compares like with like: the carrier, else the
   * country, of an SMS recipient; the domain of an email's first recipient. Set on routes with a
   * migration.
   */
  destination?: string | undefined;
}

export interface DecisionInput {
  message: Message;
  route: CompiledRoute;
  store: RouterStateStore;
  strategy: StrategyContext;
  override?: RoutingOverride | undefined;
  /** The provider earlier parts or tries of this message went to. */
  affinity?: string | undefined;
  /** Whether the provider's spend this month reached its limit (then it is left out). */
  overSpendLimit?: ((providerId: string) => boolean) | undefined;
}

function vipSide(
  message: Message,
  migration: CompiledMigration,
): { side: MigrationSide; why: string } | undefined {
  if (migration.vipNumbers.size > 0) {
    const recipient = recipientOf(message);
    const side = migration.vipNumbers.get(recipient);
    if (side) return { side, why: `VIP number ${recipient}` };
  }
  if (migration.vipTags.size > 0 && message.tags) {
    for (const tag of message.tags) {
      const side = migration.vipTags.get(tag);
      if (side) return { side, why: `VIP tag ${tag}` };
    }
  }
  return undefined;
}

interface SideChoice {
  decision: MigrationDecision;
  why: string;
}

function chooseSide(
  message: Message,
  migration: CompiledMigration,
  store: RouterStateStore,
  override: RoutingOverride | undefined,
): SideChoice {
  const state = store.getMigration(migration.id);
  const percentage = state?.percentage ?? migration.percentage;
  const mode = state?.mode ?? migration.mode;
  const choice = (side: MigrationSide, basis: MigrationDecision['basis'], why: string, bucket?: number) => ({
    decision: {
      id: migration.id,
      side,
      mode,
      basis,
      bucket,
      percentage,
      emergencyStop: basis === 'emergency-stop',
    },
    why,
  });
  if (mode === 'rolled-back') {
    const ignored = override?.side === 'to' ? ' (override side to ignored)' : '';
    return choice('from', 'emergency-stop', `migration ${migration.id} emergency stop${ignored}`);
  }
  if (override?.side) return choice(override.side, 'override', `override side ${override.side}`);
  if (mode !== 'gradual') {
    const side = mode === 'complete' ? 'to' : 'from';
    return choice(side, 'mode', `migration ${migration.id} ${mode}`);
  }
  const vip = vipSide(message, migration);
  if (vip) return choice(vip.side, 'vip', vip.why);
  const sticky = stickyKeyOf(message, migration.stickyBy);
  const bucket = rolloutBucket(migration.seed, sticky.key);
  const side = rolloutSide(bucket, percentage);
  const byNote = sticky.by === 'recipient' ? '' : ` (by ${sticky.by})`;
  return choice(
    side,
    'bucket',
    `rollout bucket ${bucket} ${side === 'to' ? '<' : '>='} ${percentage}${byNote}`,
    bucket,
  );
}

/**
 * The routing decision for a message on its matched route. Precedence, strongest first: emergency
 * stop and halted providers; override; affinity; VIP lists; the rollout bucket; the strategy.
 */
export function decideOnRoute(input: DecisionInput): RoutingDecision {
  const { message, route, store, override } = input;
  const reasons: string[] = [
    override?.route === undefined ? route.description : `${route.description}, named by the override`,
  ];
  const excluded: ExcludedProvider[] = [];
  const entries = route.providers[message.channel];
  if (entries.length === 0) reasons.push(`no provider of the route serves ${message.channel}`);

  const compiled = route.migration;
  let migration: MigrationDecision | undefined;
  let why = '';
  if (compiled) {
    const choice = chooseSide(message, compiled, store, override);
    migration = choice.decision;
    why = choice.why;
  }
  // Plain loops: this runs for every message.
  const primary: RouteProviderEntry[] = [];
  const secondary: RouteProviderEntry[] = [];
  for (const entry of entries) {
    if (store.isHalted(entry.id)) {
      excluded.push({ provider: entry.id, reason: 'halted' });
      reasons.push(`${entry.id} halted`);
    } else if (input.overSpendLimit?.(entry.id)) {
      excluded.push({ provider: entry.id, reason: 'spend-limit' });
      reasons.push(`${entry.id} skipped (spend-limit)`);
    } else if (compiled === undefined || migration === undefined) {
      primary.push(entry);
    } else if (migration.emergencyStop && compiled.toSet.has(entry.id)) {
      excluded.push({ provider: entry.id, reason: 'emergency-stop' });
    } else if ((migration.side === 'to' ? compiled.toSet : compiled.fromSet).has(entry.id)) {
      primary.push(entry);
    } else if (!compiled.toSet.has(entry.id) && !compiled.fromSet.has(entry.id)) {
      // Outside the migration: a failover on either side.
      secondary.push(entry);
    } else if (crossesSides(migration.mode, compiled.crossSideFailover)) {
      secondary.push(entry);
    } else {
      excluded.push({ provider: entry.id, reason: 'migration-side' });
    }
  }
  if (migration) {
    let sideProviders = 'no provider';
    if (primary.length > 0) {
      sideProviders = primary[0]?.id as string;
      for (let index = 1; index < primary.length; index++) sideProviders += `, ${primary[index]?.id}`;
    }
    reasons.push(`${why} -> ${sideProviders}`);
  }

  let candidates: string[] = [];
  for (const group of [primary, secondary]) {
    if (group.length === 0) continue;
    const ordering = orderProviders(route.strategy, group, input.strategy, {
      message,
      qualityFloor: route.qualityFloor,
    });
    if (group.length > 1 || route.strategy === 'least-cost') reasons.push(ordering.reason);
    for (const entry of ordering.providers) candidates.push(entry.id);
  }

  const affinity = input.affinity;
  if (affinity !== undefined && candidates[0] !== affinity) {
    if (candidates.includes(affinity)) {
      candidates = [affinity, ...candidates.filter((provider) => provider !== affinity)];
      reasons.push(`affinity -> ${affinity}`);
    } else {
      reasons.push(`affinity ${affinity} ignored: not a candidate`);
    }
  }

  const forced = override?.provider;
  if (forced !== undefined) {
    if (store.isHalted(forced)) {
      reasons.push(`override ${forced} ignored: provider halted`);
    } else if (input.overSpendLimit?.(forced)) {
      reasons.push(`override ${forced} ignored: spend-limit`);
    } else if (migration?.emergencyStop && compiled?.toSet.has(forced)) {
      reasons.push(`override ${forced} ignored: migration ${migration.id} emergency stop`);
    } else {
      candidates = [forced];
      reasons.push(`override -> ${forced}`);
    }
  }

  return { route: route.id, candidates, reason: reasons.join('; '), reasons, migration, excluded };
}
