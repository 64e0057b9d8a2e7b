import { describe, expect, it } from 'vitest';
import type { SeriesPoint, SeriesView } from '../src/api-types.js';
import { CHART_METRICS, chartData, lastValue } from '../src/series.js';

const point = (at: string, overrides: Partial<SeriesPoint> = {}): SeriesPoint => ({
  at,
  sends: 0,
  sendErrors: 0,
  settled: 0,
  delivered: 0,
  costTotal: 0,
  costDelivered: 0,
  ...overrides,
});

const metric = (id: string) => {
  const found = CHART_METRICS.find((item) => item.id === id);
  if (!found) throw new Error(id);
  return found;
};

describe('chart data from a migration series', () => {
  const series: SeriesView = {
    bucketMs: 60_000,
    since: '2030-01-01T00:00:00.000Z',
    until: '2030-01-01T00:04:00.000Z',
    from: [
      point('2030-01-01T00:00:00.000Z', { sends: 10, sendErrors: 1, settled: 8, delivered: 6 }),
      point('2030-01-01T00:02:00.000Z', { sends: 4, settled: 0 }),
    ],
    to: [
      point('2030-01-01T00:03:00.000Z', {
        sends: 5,
        settled: 5,
        delivered: 5,
        costTotal: 2,
        costDelivered: 4,
      }),
    ],
  };

  it('puts both sides on every bucket of the range, a gap where there is nothing to measure', () => {
    const delivered = chartData(series, metric('deliveredRate'));
    expect(delivered.times).toEqual(
      [0, 60, 120, 180].map((seconds) => Date.parse(series.since) / 1000 + seconds),
    );
    expect(delivered.from).toEqual([0.75, null, null, null]);
    expect(delivered.to).toEqual([null, null, null, 1]);
    expect(lastValue(delivered.from)).toBe(0.75);
  });

  it('derives each metric as its chart means it', () => {
    expect(chartData(series, metric('errorRate')).from).toEqual([0.1, null, 0, null]);
    expect(chartData(series, metric('volume')).from).toEqual([10, null, 4, null]);
    expect(chartData(series, metric('costPerMessage')).to).toEqual([null, null, null, 0.5]);
  });
});
