import type { MigrationSide } from '../router/config.js';

/**
 * Migration analysis: pure. The host queries the store for what each side did over a window
 * (`SideSample`), this module turns that into metrics and judges the plan's checks; no I/O, no
 * clock. Delivery receipts arrive minutes to hours late, so delivery metrics only count messages
 * whose receipt window has closed ("settled"): a receipt still on its way is never a failure.
 */

/** What one side of a migration did over the analysis window, as the store counts it. */
export interface SideSample {
  /** Messages whose send finished on this side. */
  sends: number;
  /** Of them, failed for a reason other than `permanent`. */
  sendErrors: number;
  /** Of them, failed `permanent`: the recipient's fault and equal on both sides, so left out of the error rate. */
  permanentErrors: number;
  /** Of them, ended ambiguous (the provider may have it). */
  ambiguous: number;
  /** Messages accepted by the provider whose receipt window has closed. */
  settled: number;
  /** Of the settled, delivered. */
  delivered: number;
  /** Of the settled, slow: delivered after `slowAfter`, or still without a final status after it. */
  slow: number;
  /** Accept-to-delivered times of the delivered messages. */
  deliveryTimes: { count: number; p50Ms: number | undefined; p95Ms: number | undefined };
  /** Settled messages whose cost is known: their total and how many of them were delivered. */
  cost: { total: number; delivered: number; currency: string | undefined; mixedCurrencies?: boolean };
  /** Shadow validations of this side (`validate` on the provider): how many, how many would have been accepted. */
  validations: { count: number; wouldAccept: number; p95Ms: number | undefined };
}

export const MIGRATION_METRICS = [
  'volume',
  'sendErrorRate',
  'ambiguousRate',
  'deliveredRate',
  'slowRate',
  'p50DeliveryMs',
  'p95DeliveryMs',
  'costPerDelivered',
  'wouldAcceptRate',
  'p95ValidationMs',
] as const;

export type MigrationMetric = (typeof MIGRATION_METRICS)[number];

/** A metric's value and the number of observations it rests on. */
export interface MetricValue {
  value: number | undefined;
  sample: number;
  /** What the sample counts, for reasons: "settled messages". */
  unit: string;
}

function ratio(part: number, whole: number): number | undefined {
  return whole > 0 ? part / whole : undefined;
}

export function metricOf(sample: SideSample, metric: MigrationMetric): MetricValue {
  switch (metric) {
    case 'volume':
      return { value: sample.sends, sample: sample.sends, unit: 'sends' };
    case 'sendErrorRate': {
      const counted = sample.sends - sample.permanentErrors;
      return { value: ratio(sample.sendErrors, counted), sample: counted, unit: 'sends' };
    }
    case 'ambiguousRate':
      return { value: ratio(sample.ambiguous, sample.sends), sample: sample.sends, unit: 'sends' };
    case 'deliveredRate':
      return {
        value: ratio(sample.delivered, sample.settled),
        sample: sample.settled,
        unit: 'settled messages',
      };
    case 'slowRate':
      return { value: ratio(sample.slow, sample.settled), sample: sample.settled, unit: 'settled messages' };
    case 'p50DeliveryMs':
      return {
        value: sample.deliveryTimes.p50Ms,
        sample: sample.deliveryTimes.count,
        unit: 'delivered messages',
      };
    case 'p95DeliveryMs':
      return {
        value: sample.deliveryTimes.p95Ms,
        sample: sample.deliveryTimes.count,
        unit: 'delivered messages',
      };
    case 'costPerDelivered':
      return {
        value: sample.cost.mixedCurrencies ? undefined : ratio(sample.cost.total, sample.cost.delivered),
        sample: sample.cost.delivered,
        unit: 'delivered messages with a known cost',
      };
    case 'wouldAcceptRate':
      return {
        value: ratio(sample.validations.wouldAccept, sample.validations.count),
        sample: sample.validations.count,
        unit: 'shadow validations',
      };
    case 'p95ValidationMs':
      return {
        value: sample.validations.p95Ms,
        sample: sample.validations.count,
        unit: 'shadow validations',
      };
  }
}

export type CheckOperator = '>=' | '<=' | '>' | '<';

/** `to.deliveredRate >= from.deliveredRate - 0.02`, parsed. */
export interface MigrationCheck {
  /** The expression as written, also the check's name unless one is given. */
  name: string;
  expression: string;
  side: MigrationSide;
  metric: MigrationMetric;
  operator: CheckOperator;
  /** The right-hand side: a constant, or the other side's metric adjusted by `+ n`, `- n` or `* n`. */
  against:
    | { kind: 'constant'; value: number }
    | {
        kind: 'metric';
        side: MigrationSide;
        metric: MigrationMetric;
        adjust?: { operator: '+' | '-' | '*'; value: number };
      };
}

const TERM = /^(from|to)\.([A-Za-z0-9]+)$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;

function parseTerm(text: string): { side: MigrationSide; metric: string } | undefined {
  const match = TERM.exec(text.trim());
  return match ? { side: match[1] as MigrationSide, metric: match[2] as string } : undefined;
}

function checkMetric(metric: string): MigrationMetric {
  if ((MIGRATION_METRICS as readonly string[]).includes(metric)) return metric as MigrationMetric;
  throw new Error(`unknown metric "${metric}" (expected one of: ${MIGRATION_METRICS.join(', ')})`);
}

/**
 * Parses a check: `<side>.<metric> <op> <number>` or `<side>.<metric> <op> <side>.<metric> [+|-|* <number>]`,
 * with `op` one of >=, <=, >, <. Throws an `Error` whose message says what is wrong.
 */
export function parseCheck(expression: string, name?: string): MigrationCheck {
  const match = /^(.+?)\s*(>=|<=|>|<)\s*(.+)$/.exec(expression.trim());
  if (!match) throw new Error(`"${expression}" is not a check like "to.deliveredRate >= 0.95"`);
  const left = parseTerm(match[1] as string);
  if (!left) throw new Error(`"${match[1]}" must be a side's metric, like to.deliveredRate`);
  const metric = checkMetric(left.metric);
  const right = (match[3] as string).trim();
  const base: Omit<MigrationCheck, 'against'> = {
    name: name ?? expression.trim(),
    expression: expression.trim(),
    side: left.side,
    metric,
    operator: match[2] as CheckOperator,
  };
  if (NUMBER.test(right)) return { ...base, against: { kind: 'constant', value: Number(right) } };
  const adjusted = /^(\S+)\s*([-+*])\s*(-?\d+(?:\.\d+)?)$/.exec(right);
  const term = parseTerm(adjusted ? (adjusted[1] as string) : right);
  if (!term) {
    throw new Error(
      `"${right}" must be a number or a side's metric (optionally + - or * a number), like from.deliveredRate - 0.02`,
    );
  }
  const otherMetric = checkMetric(term.metric);
  return {
    ...base,
    against: {
      kind: 'metric',
      side: term.side,
      metric: otherMetric,
      ...(adjusted
        ? { adjust: { operator: adjusted[2] as '+' | '-' | '*', value: Number(adjusted[3]) } }
        : {}),
    },
  };
}

export type CheckVerdict = 'pass' | 'fail' | 'inconclusive';

export interface CheckResult {
  name: string;
  verdict: CheckVerdict;
  /** Left-hand value, and the value it was compared with. */
  value: number | undefined;
  threshold: number | undefined;
  /** `to.deliveredRate 0.912 < from.deliveredRate 0.970 - 0.02 = 0.950`, or why it is inconclusive. */
  reason: string;
}

export interface AnalysisResult {
  /** `fail` if any check failed; else `inconclusive` if any was; else `pass`. */
  verdict: CheckVerdict;
  checks: CheckResult[];
}

const format = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(3));

function compare(value: number, operator: CheckOperator, threshold: number): boolean {
  switch (operator) {
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
  }
}

const NEGATION: Readonly<Record<CheckOperator, string>> = { '>=': '<', '<=': '>', '>': '<=', '<': '>=' };

/**
 * Judges each check against the two sides' samples. A check whose side has fewer than `minSample`
 * observations of its metric is inconclusive: it never fails or passes on too little data.
 */
export function analyse(
  samples: Readonly<Record<MigrationSide, SideSample>>,
  checks: readonly MigrationCheck[],
  options: { minSample: number },
): AnalysisResult {
  const results = checks.map((check): CheckResult => {
    const left = metricOf(samples[check.side], check.metric);
    const label = `${check.side}.${check.metric}`;
    const short = (side: MigrationSide, value: MetricValue) =>
      value.sample < options.minSample
        ? `${side}: ${value.sample} ${value.unit}, below the minimum of ${options.minSample}`
        : value.value === undefined
          ? `${side}: no value for ${value.unit === 'sends' ? 'this metric' : value.unit}`
          : undefined;
    const inconclusive = (reason: string): CheckResult => ({
      name: check.name,
      verdict: 'inconclusive',
      value: left.value,
      threshold: undefined,
      reason,
    });
    const leftProblem = short(check.side, left);
    if (leftProblem) return inconclusive(leftProblem);
    let threshold: number;
    let described: string;
    if (check.against.kind === 'constant') {
      threshold = check.against.value;
      described = format(threshold);
    } else {
      const right = metricOf(samples[check.against.side], check.against.metric);
      const rightProblem = short(check.against.side, right);
      if (rightProblem) return inconclusive(rightProblem);
      const base = right.value as number;
      const adjust = check.against.adjust;
      threshold =
        adjust === undefined
          ? base
          : adjust.operator === '+'
            ? base + adjust.value
            : adjust.operator === '-'
              ? base - adjust.value
              : base * adjust.value;
      described = `${check.against.side}.${check.against.metric} ${format(base)}${adjust ? ` ${adjust.operator} ${adjust.value} = ${format(threshold)}` : ''}`;
    }
    const value = left.value as number;
    const passed = compare(value, check.operator, threshold);
    return {
      name: check.name,
      verdict: passed ? 'pass' : 'fail',
      value,
      threshold,
      reason: `${label} ${format(value)} ${passed ? check.operator : NEGATION[check.operator]} ${described}`,
    };
  });
  const verdict: CheckVerdict = results.some((result) => result.verdict === 'fail')
    ? 'fail'
    : results.some((result) => result.verdict === 'inconclusive')
      ? 'inconclusive'
      : 'pass';
  return { verdict, checks: results };
}

/** An empty sample, for a side with no traffic in the window. */
export function emptySideSample(): SideSample {
  return {
    sends: 0,
    sendErrors: 0,
    permanentErrors: 0,
    ambiguous: 0,
    settled: 0,
    delivered: 0,
    slow: 0,
    deliveryTimes: { count: 0, p50Ms: undefined, p95Ms: undefined },
    cost: { total: 0, delivered: 0, currency: undefined },
    validations: { count: 0, wouldAccept: 0, p95Ms: undefined },
  };
}
