import { ERROR_KINDS, type ErrorKind, ValidationError, type ValidationIssue } from '../errors.js';
import { CHANNELS, type Channel } from '../message.js';
import {
  CROSS_SIDE_FAILOVER,
  type CrossSideFailover,
  MIGRATION_MODES,
  type MigrationMode,
} from '../migration/mode.js';
import { compilePlan, type MigrationPlanConfig } from '../migration/plan.js';
import { CarrierLookup, type CarrierTable, ZAMBIA_CARRIERS } from './carriers.js';

/**
 * The router's declarative config and its validator. The validator is hand-written rather than a
 * schema library so that @msg/core stays small; every issue names the path and the reason
 * (`routes.2.migration.percentage: must be a number from 0 to 100, got 150`).
 */

/** Why the router leaves a provider: an error kind, or a reason found before or around the call. */
export type FailoverTrigger = ErrorKind | 'timeout' | 'breaker-open' | 'bulkhead-full' | 'throttled';

export const FAILOVER_TRIGGERS: readonly FailoverTrigger[] = [
  ...ERROR_KINDS,
  'timeout',
  'breaker-open',
  'bulkhead-full',
  'throttled',
];

/** Everything but `permanent`: a bad number fails fast everywhere, whichever provider we pick. */
export const DEFAULT_FAILOVER_TRIGGERS: readonly FailoverTrigger[] = FAILOVER_TRIGGERS.filter(
  (trigger) => trigger !== 'permanent',
);

export type RoutingStrategy = 'failover' | 'weighted' | 'health' | 'least-cost';
export const ROUTING_STRATEGIES: readonly RoutingStrategy[] = [
  'failover',
  'weighted',
  'health',
  'least-cost',
];

export type MigrationSide = 'from' | 'to';

export interface RouteMatch {
  channel?: Channel;
  /** E.164 prefixes (`+26097`); any one matches. */
  prefix?: string | readonly string[];
  /** ISO 3166 countries (`ZM`); any one matches. */
  country?: string | readonly string[];
  /** Carrier names from the carrier table (`mtn`); any one matches. */
  carrier?: string | readonly string[];
  /** Tags the message must all carry. */
  tags?: readonly string[];
  /** Sender ids, numbers or email addresses; any one matches. */
  sender?: string | readonly string[];
}

export interface RouteProvider {
  id: string;
  /** Share for the `weighted` strategy; 1 when absent. */
  weight?: number;
}

/** Numbers or tags that always go to one side of a migration, whatever their bucket. */
export interface VipRule {
  side: MigrationSide;
  /** E.164 numbers. */
  numbers?: readonly string[];
  tags?: readonly string[];
}

/** What a migration hashes to keep a message's side stable: the recipient unless told otherwise. */
export type StickyKey = 'recipient' | 'sender' | 'message-id' | `metadata.${string}`;

export interface MigrationConfig {
  id: string;
  from: readonly string[];
  to: readonly string[];
  /** Where traffic goes (default `gradual`); an emergency stop (`rolled-back`) is a runtime action only. */
  mode?: Exclude<MigrationMode, 'rolled-back'>;
  /** Share of traffic on the `to` side in `gradual`, an integer 0-100 (one bucket per percent); default 0. The state store's value, once set, wins. */
  percentage?: number;
  /** Whether failover may leave the chosen side (default `gradual`: only while both sides carry traffic). */
  crossSideFailover?: CrossSideFailover;
  /** Shadow mode: the share (0-1, default 0.1) of `from` traffic also validated on `to`, never delivered. */
  shadow?: { sample?: number };
  /** A rollout in steps, judged by an analysis of the two sides; the gateway runs it. */
  plan?: MigrationPlanConfig;
  stickyBy?: StickyKey;
  /** Hash seed; the migration id when absent. A new seed reshuffles who moves first. */
  seed?: string;
  vip?: readonly VipRule[];
}

export interface RouteConfig {
  id: string;
  /** Omitted: the default route, which matches every message and must come last. */
  match?: RouteMatch;
  strategy?: RoutingStrategy;
  /** In priority order: the `failover` strategy tries them in this order. */
  providers: readonly (string | RouteProvider)[];
  migration?: MigrationConfig;
  /** What makes the router try the next provider; others fail the message at once. */
  failoverOn?: readonly FailoverTrigger[];
  /**
   * `least-cost` only: the lowest recent delivered rate (0-1, from receipts) a provider needs to
   * be chosen for its price; 0.9 when absent. A provider with no recent receipts is not held back.
   */
  qualityFloor?: number;
  /**
   * When a provider that failed for a reason that may pass (a transient error, a rate limit) is
   * tried again: `after-failover` (the default) moves the message to the next eligible provider at
   * once and retries the failed one only when no other is left; `before-failover` retries it first
   * (up to `retry.maxRetries`, with backoff), as a route whose first provider must be preferred
   * whatever the wait.
   */
  retries?: RetryOrder;
}

export type RetryOrder = 'after-failover' | 'before-failover';
export const RETRY_ORDERS: readonly RetryOrder[] = ['after-failover', 'before-failover'];

export interface RetryConfig {
  /** Retries on the same provider after the first attempt. */
  maxRetries?: number;
  initialDelayMs?: number;
  /** Longest wait, also for a retry-after: a provider asking for more is left for the next one. */
  maxDelayMs?: number;
  /**
   * Longest time in all that one message waits on a provider's rate limiting (its retry-after
   * pauses) before it moves on. Rate-limited answers are back-pressure: waiting them out does not
   * use up `maxRetries`.
   */
  rateLimitWaitMs?: number;
}

export interface BreakerConfig {
  /** `consecutive`: N failures in a row; `error-rate`: share of failures over a sliding window. */
  mode?: 'consecutive' | 'error-rate';
  failureThreshold?: number;
  /** For `error-rate`: share of failed calls (0-1, exclusive) that opens the breaker. */
  errorRateThreshold?: number;
  /** For `error-rate`: the sliding window. */
  windowMs?: number;
  /** For `error-rate`: below this request rate the breaker never opens. */
  minimumRps?: number;
  halfOpenAfterMs?: number;
  /** Successful probes needed to close a half-open breaker. */
  successThreshold?: number;
  /**
   * Rate-limited answers do not count against the breaker (back-pressure, not ill health) until
   * the provider has answered nothing but them, with no success, for this long.
   */
  rateLimitGraceMs?: number;
}

export interface RateLimitConfig {
  perSecond: number;
  /** Bucket size: messages that may go at once after a quiet spell; `perSecond` when absent. */
  burst?: number;
}

export interface ProviderPolicyConfig {
  timeoutMs?: number;
  retry?: RetryConfig;
  breaker?: BreakerConfig;
  /** Bulkhead: attempts in flight at once; more are failed over, not queued. */
  maxInFlight?: number;
  rateLimit?: RateLimitConfig;
}

export interface HealthWeights {
  health: number;
  priority: number;
  latency: number;
  load: number;
}

export interface HealthConfig {
  weights?: Partial<HealthWeights>;
  /** Sliding window for success rate and latency. */
  windowMs?: number;
}

export interface RouterConfig {
  /** First match wins. */
  routes: readonly RouteConfig[];
  /** Resilience settings for every provider, under the per-provider ones. */
  defaults?: ProviderPolicyConfig;
  /** Resilience settings per provider instance id. */
  providers?: Readonly<Record<string, ProviderPolicyConfig>>;
  /** Carrier prefixes for `match.carrier`; Zambia's when absent. */
  carriers?: CarrierTable;
  health?: HealthConfig;
}

export interface ResolvedProviderPolicy {
  timeoutMs: number;
  retry: Required<RetryConfig>;
  breaker: Required<Omit<BreakerConfig, 'minimumRps'>> & { minimumRps: number | undefined };
  maxInFlight: number | undefined;
  rateLimit: Required<RateLimitConfig> | undefined;
}

export const DEFAULT_PROVIDER_POLICY: ResolvedProviderPolicy = {
  timeoutMs: 10_000,
  retry: { maxRetries: 2, initialDelayMs: 100, maxDelayMs: 2_000, rateLimitWaitMs: 10_000 },
  breaker: {
    mode: 'consecutive',
    failureThreshold: 5,
    errorRateThreshold: 0.5,
    windowMs: 60_000,
    minimumRps: undefined,
    halfOpenAfterMs: 60_000,
    successThreshold: 2,
    rateLimitGraceMs: 60_000,
  },
  maxInFlight: undefined,
  rateLimit: undefined,
};

export const DEFAULT_HEALTH_WEIGHTS: HealthWeights = { health: 40, priority: 30, latency: 20, load: 10 };
export const DEFAULT_HEALTH_WINDOW_MS = 60_000;

/** Per-provider settings over the defaults over the built-in defaults. */
export function resolveProviderPolicy(config: RouterConfig, providerId: string): ResolvedProviderPolicy {
  const layers = [config.defaults, config.providers?.[providerId]];
  let policy = DEFAULT_PROVIDER_POLICY;
  for (const layer of layers) {
    if (!layer) continue;
    policy = {
      timeoutMs: layer.timeoutMs ?? policy.timeoutMs,
      retry: { ...policy.retry, ...definedOnly(layer.retry) },
      breaker: { ...policy.breaker, ...definedOnly(layer.breaker) },
      maxInFlight: layer.maxInFlight ?? policy.maxInFlight,
      rateLimit: layer.rateLimit
        ? { perSecond: layer.rateLimit.perSecond, burst: layer.rateLimit.burst ?? layer.rateLimit.perSecond }
        : policy.rateLimit,
    };
  }
  return policy;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** What the validator may know about the providers the router will be given. */
export interface KnownProvider {
  id: string;
  channel: Channel;
}

const E164_PREFIX = /^\+\d{1,15}$/;
const COUNTRY = /^[A-Z]{2}$/;

type Issues = ValidationIssue[];

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

/** Reports keys the schema does not know: a typo (`failoverOn` as `failover`) must not pass silently. */
function checkKeys(value: Record<string, unknown>, allowed: readonly string[], path: string, issues: Issues) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      issues.push({ path: join(path, key), message: `unknown key (expected one of: ${allowed.join(', ')})` });
    }
  }
}

function checkObject(value: unknown, path: string, issues: Issues): value is Record<string, unknown> {
  if (isRecord(value)) return true;
  issues.push({ path, message: `must be an object, got ${describe(value)}` });
  return false;
}

function checkNumber(
  value: unknown,
  path: string,
  issues: Issues,
  range: { min?: number; max?: number; integer?: boolean; exclusive?: boolean } = {},
): void {
  if (value === undefined) return;
  const { min, max, integer, exclusive } = range;
  const below = min !== undefined && typeof value === 'number' && (exclusive ? value <= min : value < min);
  const above = max !== undefined && typeof value === 'number' && (exclusive ? value >= max : value > max);
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    below ||
    above ||
    (integer && !Number.isInteger(value))
  ) {
    const kind = integer ? 'an integer' : 'a number';
    let bounds = '';
    if (min !== undefined && max !== undefined)
      bounds = ` from ${min} to ${max}${exclusive ? ' (exclusive)' : ''}`;
    else if (min !== undefined) bounds = exclusive ? ` greater than ${min}` : ` of at least ${min}`;
    issues.push({ path, message: `must be ${kind}${bounds}, got ${describe(value)}` });
  }
}

/** A string or an array of strings, each passing `check`; returns the strings. */
function checkStrings(
  value: unknown,
  path: string,
  issues: Issues,
  options: { single?: boolean; check?: (item: string) => string | undefined } = {},
): string[] {
  if (value === undefined) return [];
  const single = options.single !== false;
  if (single && typeof value === 'string') {
    const problem = options.check?.(value);
    if (problem) issues.push({ path, message: problem });
    return [value];
  }
  if (!Array.isArray(value)) {
    issues.push({
      path,
      message: `must be ${single ? 'a string or ' : ''}an array of strings, got ${describe(value)}`,
    });
    return [];
  }
  const strings: string[] = [];
  value.forEach((item, index) => {
    if (typeof item !== 'string' || item.length === 0) {
      issues.push({ path: join(path, index), message: `must be a non-empty string, got ${describe(item)}` });
      return;
    }
    const problem = options.check?.(item);
    if (problem) issues.push({ path: join(path, index), message: problem });
    strings.push(item);
  });
  return strings;
}

function checkPolicy(value: unknown, path: string, issues: Issues): void {
  if (!checkObject(value, path, issues)) return;
  checkKeys(value, ['timeoutMs', 'retry', 'breaker', 'maxInFlight', 'rateLimit'], path, issues);
  checkNumber(value.timeoutMs, join(path, 'timeoutMs'), issues, { min: 0, exclusive: true });
  checkNumber(value.maxInFlight, join(path, 'maxInFlight'), issues, { min: 1, integer: true });
  if (value.retry !== undefined && checkObject(value.retry, join(path, 'retry'), issues)) {
    const retry = value.retry;
    const retryPath = join(path, 'retry');
    checkKeys(retry, ['maxRetries', 'initialDelayMs', 'maxDelayMs', 'rateLimitWaitMs'], retryPath, issues);
    checkNumber(retry.maxRetries, join(retryPath, 'maxRetries'), issues, { min: 0, max: 10, integer: true });
    checkNumber(retry.initialDelayMs, join(retryPath, 'initialDelayMs'), issues, { min: 0 });
    checkNumber(retry.maxDelayMs, join(retryPath, 'maxDelayMs'), issues, { min: 0 });
    checkNumber(retry.rateLimitWaitMs, join(retryPath, 'rateLimitWaitMs'), issues, { min: 0 });
  }
  if (value.breaker !== undefined && checkObject(value.breaker, join(path, 'breaker'), issues)) {
    const breaker = value.breaker;
    const breakerPath = join(path, 'breaker');
    checkKeys(
      breaker,
      [
        'mode',
        'failureThreshold',
        'errorRateThreshold',
        'windowMs',
        'minimumRps',
        'halfOpenAfterMs',
        'successThreshold',
        'rateLimitGraceMs',
      ],
      breakerPath,
      issues,
    );
    if (breaker.mode !== undefined && breaker.mode !== 'consecutive' && breaker.mode !== 'error-rate') {
      issues.push({
        path: join(breakerPath, 'mode'),
        message: `must be "consecutive" or "error-rate", got ${describe(breaker.mode)}`,
      });
    }
    checkNumber(breaker.failureThreshold, join(breakerPath, 'failureThreshold'), issues, {
      min: 1,
      integer: true,
    });
    checkNumber(breaker.errorRateThreshold, join(breakerPath, 'errorRateThreshold'), issues, {
      min: 0,
      max: 1,
      exclusive: true,
    });
    checkNumber(breaker.windowMs, join(breakerPath, 'windowMs'), issues, { min: 0, exclusive: true });
    checkNumber(breaker.minimumRps, join(breakerPath, 'minimumRps'), issues, { min: 0, exclusive: true });
    checkNumber(breaker.halfOpenAfterMs, join(breakerPath, 'halfOpenAfterMs'), issues, { min: 0 });
    checkNumber(breaker.successThreshold, join(breakerPath, 'successThreshold'), issues, {
      min: 1,
      integer: true,
    });
    checkNumber(breaker.rateLimitGraceMs, join(breakerPath, 'rateLimitGraceMs'), issues, { min: 0 });
  }
  if (value.rateLimit !== undefined && checkObject(value.rateLimit, join(path, 'rateLimit'), issues)) {
    const rateLimit = value.rateLimit;
    const ratePath = join(path, 'rateLimit');
    checkKeys(rateLimit, ['perSecond', 'burst'], ratePath, issues);
    if (rateLimit.perSecond === undefined)
      issues.push({ path: join(ratePath, 'perSecond'), message: 'is required' });
    checkNumber(rateLimit.perSecond, join(ratePath, 'perSecond'), issues, { min: 0, exclusive: true });
    checkNumber(rateLimit.burst, join(ratePath, 'burst'), issues, { min: 1 });
  }
}

interface RouteContext {
  issues: Issues;
  known: ReadonlyMap<string, Channel> | undefined;
  carriers: CarrierLookup;
  migrationIds: Map<string, string>;
}

function checkMatch(value: unknown, path: string, context: RouteContext): Channel | undefined {
  const { issues } = context;
  if (!checkObject(value, path, issues)) return undefined;
  checkKeys(value, ['channel', 'prefix', 'country', 'carrier', 'tags', 'sender'], path, issues);
  let channel: Channel | undefined;
  if (value.channel !== undefined) {
    if (CHANNELS.includes(value.channel as Channel)) channel = value.channel as Channel;
    else
      issues.push({
        path: join(path, 'channel'),
        message: `must be one of ${CHANNELS.join(', ')}, got ${describe(value.channel)}`,
      });
  }
  checkStrings(value.prefix, join(path, 'prefix'), issues, {
    check: (prefix) =>
      E164_PREFIX.test(prefix) ? undefined : `"${prefix}" is not an E.164 prefix like +26097`,
  });
  checkStrings(value.country, join(path, 'country'), issues, {
    check: (country) => (COUNTRY.test(country) ? undefined : `"${country}" is not an ISO 3166 code like ZM`),
  });
  checkStrings(value.carrier, join(path, 'carrier'), issues, {
    check: (carrier) =>
      context.carriers.has(carrier) ? undefined : `unknown carrier "${carrier}" (not in the carrier table)`,
  });
  checkStrings(value.tags, join(path, 'tags'), issues, { single: false });
  checkStrings(value.sender, join(path, 'sender'), issues);
  const phoneOnly = ['prefix', 'country', 'carrier'].filter((key) => value[key] !== undefined);
  if (channel === 'email' && phoneOnly.length > 0) {
    issues.push({
      path,
      message: `${phoneOnly.join(', ')} only match phone numbers (SMS, WhatsApp), but the route matches email`,
    });
  }
  return channel;
}

function checkMigration(
  value: unknown,
  path: string,
  routeProviders: ReadonlySet<string>,
  routeId: string,
  context: RouteContext,
): void {
  const { issues } = context;
  if (!checkObject(value, path, issues)) return;
  checkKeys(
    value,
    [
      'id',
      'from',
      'to',
      'mode',
      'percentage',
      'crossSideFailover',
      'shadow',
      'plan',
      'stickyBy',
      'seed',
      'vip',
    ],
    path,
    issues,
  );
  if (
    value.mode !== undefined &&
    (value.mode === 'rolled-back' || !MIGRATION_MODES.includes(value.mode as MigrationMode))
  ) {
    issues.push({
      path: join(path, 'mode'),
      message: `must be one of off, shadow, gradual, complete (rolled-back is the runtime emergency stop), got ${describe(value.mode)}`,
    });
  }
  if (
    value.crossSideFailover !== undefined &&
    !CROSS_SIDE_FAILOVER.includes(value.crossSideFailover as CrossSideFailover)
  ) {
    issues.push({
      path: join(path, 'crossSideFailover'),
      message: `must be one of ${CROSS_SIDE_FAILOVER.join(', ')}, got ${describe(value.crossSideFailover)}`,
    });
  }
  if (value.shadow !== undefined && checkObject(value.shadow, join(path, 'shadow'), issues)) {
    checkKeys(value.shadow, ['sample'], join(path, 'shadow'), issues);
    checkNumber(value.shadow.sample, join(path, 'shadow.sample'), issues, { min: 0, max: 1 });
  }
  if (value.plan !== undefined) compilePlan(value.plan, join(path, 'plan'), issues);
  if (typeof value.id !== 'string' || value.id.length === 0) {
    issues.push({ path: join(path, 'id'), message: `must be a non-empty string, got ${describe(value.id)}` });
  } else {
    const other = context.migrationIds.get(value.id);
    if (other !== undefined) {
      issues.push({
        path: join(path, 'id'),
        message: `duplicate migration id "${value.id}" (also in route "${other}")`,
      });
    }
    context.migrationIds.set(value.id, routeId);
  }
  const sides: Record<MigrationSide, string[]> = { from: [], to: [] };
  for (const side of ['from', 'to'] as const) {
    const sidePath = join(path, side);
    if (value[side] === undefined) {
      issues.push({ path: sidePath, message: 'is required' });
      continue;
    }
    sides[side] = checkStrings(value[side], sidePath, issues, { single: false });
    if (Array.isArray(value[side]) && sides[side].length === 0)
      issues.push({ path: sidePath, message: 'must list at least one provider' });
    sides[side].forEach((provider, index) => {
      if (!routeProviders.has(provider)) {
        issues.push({
          path: join(sidePath, index),
          message: `"${provider}" is not among the route's providers`,
        });
      }
    });
  }
  for (const provider of sides.to) {
    if (sides.from.includes(provider)) {
      issues.push({ path: join(path, 'to'), message: `"${provider}" is on both sides of the migration` });
    }
  }
  checkNumber(value.percentage, join(path, 'percentage'), issues, { min: 0, max: 100, integer: true });
  if (value.stickyBy !== undefined) {
    const key = value.stickyBy;
    const valid =
      key === 'recipient' ||
      key === 'sender' ||
      key === 'message-id' ||
      (typeof key === 'string' && key.startsWith('metadata.') && key.length > 'metadata.'.length);
    if (!valid) {
      issues.push({
        path: join(path, 'stickyBy'),
        message: `must be "recipient", "sender", "message-id" or "metadata.<key>", got ${describe(key)}`,
      });
    }
  }
  if (value.seed !== undefined && typeof value.seed !== 'string') {
    issues.push({ path: join(path, 'seed'), message: `must be a string, got ${describe(value.seed)}` });
  }
  if (value.vip !== undefined) {
    if (!Array.isArray(value.vip)) {
      issues.push({ path: join(path, 'vip'), message: `must be an array, got ${describe(value.vip)}` });
      return;
    }
    value.vip.forEach((rule: unknown, index: number) => {
      const rulePath = join(join(path, 'vip'), index);
      if (!checkObject(rule, rulePath, issues)) return;
      checkKeys(rule, ['side', 'numbers', 'tags'], rulePath, issues);
      if (rule.side !== 'from' && rule.side !== 'to') {
        issues.push({
          path: join(rulePath, 'side'),
          message: `must be "from" or "to", got ${describe(rule.side)}`,
        });
      }
      const numbers = checkStrings(rule.numbers, join(rulePath, 'numbers'), issues, {
        single: false,
        check: (number) => (/^\+\d{6,15}$/.test(number) ? undefined : `"${number}" is not an E.164 number`),
      });
      const tags = checkStrings(rule.tags, join(rulePath, 'tags'), issues, { single: false });
      if (numbers.length === 0 && tags.length === 0) {
        issues.push({ path: rulePath, message: 'must list numbers or tags' });
      }
    });
  }
}

function checkRoute(
  value: unknown,
  path: string,
  isLast: boolean,
  routeIds: Set<string>,
  context: RouteContext,
) {
  const { issues, known } = context;
  if (!checkObject(value, path, issues)) return;
  checkKeys(
    value,
    ['id', 'match', 'strategy', 'providers', 'migration', 'failoverOn', 'retries', 'qualityFloor'],
    path,
    issues,
  );
  const routeId = typeof value.id === 'string' ? value.id : '';
  if (routeId.length === 0) {
    issues.push({ path: join(path, 'id'), message: `must be a non-empty string, got ${describe(value.id)}` });
  } else if (routeIds.has(routeId)) {
    issues.push({ path: join(path, 'id'), message: `duplicate route id "${routeId}"` });
  }
  routeIds.add(routeId);
  let channel: Channel | undefined;
  if (value.match === undefined) {
    if (!isLast) {
      issues.push({
        path: join(path, 'match'),
        message:
          'a route without match catches every message, so the routes after it are unreachable; put it last',
      });
    }
  } else {
    channel = checkMatch(value.match, join(path, 'match'), context);
  }
  if (value.retries !== undefined && !RETRY_ORDERS.includes(value.retries as RetryOrder)) {
    issues.push({
      path: join(path, 'retries'),
      message: `must be one of ${RETRY_ORDERS.join(', ')}, got ${describe(value.retries)}`,
    });
  }
  if (value.strategy !== undefined && !ROUTING_STRATEGIES.includes(value.strategy as RoutingStrategy)) {
    issues.push({
      path: join(path, 'strategy'),
      message: `must be one of ${ROUTING_STRATEGIES.join(', ')}, got ${describe(value.strategy)}`,
    });
  }
  if (
    value.qualityFloor !== undefined &&
    (typeof value.qualityFloor !== 'number' || !(value.qualityFloor >= 0 && value.qualityFloor <= 1))
  ) {
    issues.push({
      path: join(path, 'qualityFloor'),
      message: `must be a number from 0 to 1 (a delivered rate), got ${describe(value.qualityFloor)}`,
    });
  }
  const providers = new Set<string>();
  const providersPath = join(path, 'providers');
  if (!Array.isArray(value.providers) || value.providers.length === 0) {
    issues.push({
      path: providersPath,
      message: `must be a non-empty array, got ${describe(value.providers)}`,
    });
  } else {
    value.providers.forEach((entry: unknown, index: number) => {
      const entryPath = join(providersPath, index);
      let id: unknown = entry;
      if (isRecord(entry)) {
        checkKeys(entry, ['id', 'weight'], entryPath, issues);
        id = entry.id;
        checkNumber(entry.weight, join(entryPath, 'weight'), issues, { min: 0, exclusive: true });
      }
      if (typeof id !== 'string' || id.length === 0) {
        issues.push({
          path: entryPath,
          message: `must be a provider id or { id, weight }, got ${describe(entry)}`,
        });
        return;
      }
      if (providers.has(id)) issues.push({ path: entryPath, message: `duplicate provider "${id}"` });
      providers.add(id);
      if (known) {
        const providerChannel = known.get(id);
        if (providerChannel === undefined) {
          issues.push({
            path: entryPath,
            message: `unknown provider "${id}" (known: ${[...known.keys()].join(', ')})`,
          });
        } else if (channel !== undefined && providerChannel !== channel) {
          issues.push({
            path: entryPath,
            message: `provider "${id}" serves ${providerChannel}, but the route matches ${channel}`,
          });
        }
      }
    });
  }
  if (value.migration !== undefined) {
    checkMigration(value.migration, join(path, 'migration'), providers, routeId, context);
  }
  if (value.failoverOn !== undefined) {
    checkStrings(value.failoverOn, join(path, 'failoverOn'), issues, {
      single: false,
      check: (trigger) =>
        FAILOVER_TRIGGERS.includes(trigger as FailoverTrigger)
          ? undefined
          : `unknown trigger "${trigger}" (expected one of: ${FAILOVER_TRIGGERS.join(', ')})`,
    });
  }
}

/**
 * Checks a router config and returns it typed. Throws a `ValidationError` (code
 * `MSG_ERR_ROUTER_CONFIG`) listing every problem with its path. Given the providers the router will
 * run, it also checks that every id exists and serves the route's channel.
 */
export function validateRouterConfig(
  input: unknown,
  options: { providers?: Iterable<KnownProvider> } = {},
): RouterConfig {
  const issues: Issues = [];
  const fail = () =>
    new ValidationError(issues, { code: 'MSG_ERR_ROUTER_CONFIG', subject: 'invalid router config' });
  if (!checkObject(input, '', issues)) throw fail();
  checkKeys(input, ['routes', 'defaults', 'providers', 'carriers', 'health'], '', issues);
  const known = options.providers
    ? new Map([...options.providers].map((provider) => [provider.id, provider.channel] as const))
    : undefined;

  let carriers = new CarrierLookup(ZAMBIA_CARRIERS);
  if (input.carriers !== undefined && checkObject(input.carriers, 'carriers', issues)) {
    const table: Record<string, string[]> = {};
    for (const [carrier, prefixes] of Object.entries(input.carriers)) {
      table[carrier] = checkStrings(prefixes, join('carriers', carrier), issues, {
        single: false,
        check: (prefix) =>
          E164_PREFIX.test(prefix) ? undefined : `"${prefix}" is not an E.164 prefix like +26097`,
      });
    }
    carriers = new CarrierLookup(table);
  }

  if (input.defaults !== undefined) checkPolicy(input.defaults, 'defaults', issues);
  if (input.providers !== undefined && checkObject(input.providers, 'providers', issues)) {
    for (const [id, policy] of Object.entries(input.providers)) {
      if (known && !known.has(id)) {
        issues.push({ path: join('providers', id), message: `unknown provider "${id}"` });
      }
      checkPolicy(policy, join('providers', id), issues);
    }
  }
  if (input.health !== undefined && checkObject(input.health, 'health', issues)) {
    checkKeys(input.health, ['weights', 'windowMs'], 'health', issues);
    checkNumber(input.health.windowMs, 'health.windowMs', issues, { min: 0, exclusive: true });
    const weights = input.health.weights;
    if (weights !== undefined && checkObject(weights, 'health.weights', issues)) {
      checkKeys(weights, Object.keys(DEFAULT_HEALTH_WEIGHTS), 'health.weights', issues);
      for (const key of Object.keys(DEFAULT_HEALTH_WEIGHTS)) {
        checkNumber(weights[key], join('health.weights', key), issues, { min: 0 });
      }
      const merged = { ...DEFAULT_HEALTH_WEIGHTS, ...definedOnly(weights as Partial<HealthWeights>) };
      const sum = Object.values(merged).reduce((total, weight) => total + (Number(weight) || 0), 0);
      if (sum <= 0) issues.push({ path: 'health.weights', message: 'must not all be zero' });
    }
  }

  if (!Array.isArray(input.routes) || input.routes.length === 0) {
    issues.push({ path: 'routes', message: `must be a non-empty array, got ${describe(input.routes)}` });
  } else {
    const context: RouteContext = { issues, known, carriers, migrationIds: new Map() };
    const routeIds = new Set<string>();
    input.routes.forEach((route: unknown, index: number) => {
      checkRoute(
        route,
        join('routes', index),
        index === (input.routes as unknown[]).length - 1,
        routeIds,
        context,
      );
    });
  }
  if (issues.length > 0) throw fail();
  return input as unknown as RouterConfig;
}
