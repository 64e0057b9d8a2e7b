import type { SeriesPoint, SeriesView } from './api-types.js';

/** One chart's data: bucket start times (seconds, as uPlot takes them) and a value per side. */
export interface ChartData {
  /** Width of a bucket, seconds. */
  bucketSeconds: number;
  times: number[];
  from: Array<number | null>;
  to: Array<number | null>;
}

export interface ChartMetric {
  id: string;
  title: string;
  /** How an axis or a value reads. */
  unit: 'rate' | 'ms' | 'money' | 'count';
  value: (point: SeriesPoint) => number | undefined;
  /** What a point rests on, for the chart's description. */
  explain: string;
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : undefined);

/**
 * The charts of a migration, each per side over time, from `GET /v1/migrations/:id/series`. A
 * bucket with nothing to measure is a gap, never a zero.
 */
export const CHART_METRICS: readonly ChartMetric[] = [
  {
    id: 'deliveredRate',
    title: 'Delivered rate',
    unit: 'rate',
    value: (point) => ratio(point.delivered, point.settled),
    explain: 'delivered among messages whose receipt window has closed',
  },
  {
    id: 'errorRate',
    title: 'Send error rate',
    unit: 'rate',
    value: (point) => ratio(point.sendErrors, point.sends),
    explain: 'failed or ambiguous provider calls, not counting the recipient’s own (permanent) errors',
  },
  {
    id: 'p95DeliveryMs',
    title: 'p95 time to delivery',
    unit: 'ms',
    value: (point) => point.p95DeliveryMs,
    explain: 'from accept to the delivered receipt, 95th percentile',
  },
  {
    id: 'costPerMessage',
    title: 'Cost per delivered message',
    unit: 'money',
    value: (point) => ratio(point.costTotal, point.costDelivered),
    explain: 'what the provider reported, over delivered messages with a known cost',
  },
  {
    id: 'volume',
    title: 'Volume',
    unit: 'count',
    value: (point) => point.sends,
    explain: 'provider calls per bucket',
  },
];

/** Aligns both sides on every bucket of the range, so the chart's time axis has no holes. */
export function chartData(series: SeriesView, metric: ChartMetric): ChartData {
  const since = Date.parse(series.since);
  const until = Date.parse(series.until);
  const buckets = Math.max(0, Math.ceil((until - since) / series.bucketMs));
  const index = (points: SeriesPoint[]) => new Map(points.map((point) => [Date.parse(point.at), point]));
  const from = index(series.from);
  const to = index(series.to);
  const data: ChartData = { bucketSeconds: series.bucketMs / 1000, times: [], from: [], to: [] };
  for (let bucket = 0; bucket < buckets; bucket++) {
    const at = since + bucket * series.bucketMs;
    const value = (side: Map<number, SeriesPoint>) => {
      const point = side.get(at);
      const measured = point ? metric.value(point) : undefined;
      return measured === undefined ? null : measured;
    };
    data.times.push(at / 1000);
    data.from.push(value(from));
    data.to.push(value(to));
  }
  return data;
}

/** The last measured value of a side, for the chart's text description. */
export function lastValue(values: Array<number | null>): number | undefined {
  for (let index = values.length - 1; index >= 0; index--) {
    const value = values[index];
    if (value !== null && value !== undefined) return value;
  }
  return undefined;
}

/** A range the charts can show, with a bucket that keeps them between 60 and 100 points. */
export const RANGES = [
  { id: '1h', label: 'Last hour', ms: 3_600_000, bucket: '1m' },
  { id: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000, bucket: '5m' },
  { id: '24h', label: 'Last 24 hours', ms: 24 * 3_600_000, bucket: '15m' },
  { id: '7d', label: 'Last 7 days', ms: 7 * 24 * 3_600_000, bucket: '2h' },
] as const;
