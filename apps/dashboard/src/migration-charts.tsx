import { useEffect, useId, useMemo, useState } from 'preact/hooks';
import { api, query } from './api.js';
import type { MigrationView, SeriesView } from './api-types.js';
import { TimeChart } from './chart.js';
import { CHART_METRICS, chartData, RANGES } from './series.js';
import { useData } from './use-data.js';

/** The two sides of a migration over time: one query for all five charts, again each minute. */
export function MigrationCharts({ migration }: { migration: MigrationView }) {
  const [range, setRange] = useState<(typeof RANGES)[number]>(RANGES[0]);
  const [round, setRound] = useState(0);
  const rangeId = useId();
  useEffect(() => {
    const timer = setInterval(() => setRound((value) => value + 1), 60_000);
    return () => clearInterval(timer);
  }, []);
  const series = useData(
    () =>
      api<SeriesView>(
        `/v1/migrations/${encodeURIComponent(migration.id)}/series${query({
          since: new Date(Date.now() - range.ms).toISOString(),
          bucket: range.bucket,
        })}`,
      ),
    `${migration.id}:${range.id}:${round}`,
  );
  // Computed once per answer: live updates re-render the page every second, the charts need not.
  const datasets = useMemo(
    () =>
      series.value ? CHART_METRICS.map((metric) => chartData(series.value as SeriesView, metric)) : undefined,
    [series.value],
  );
  const fromLabel = `from: ${migration.from.join(', ')}`;
  const toLabel = `to: ${migration.to.join(', ')}`;
  return (
    <>
      <div class="row">
        <label for={rangeId}>Range</label>
        <select
          id={rangeId}
          value={range.id}
          onChange={(event) => {
            const chosen = RANGES.find((item) => item.id === (event.target as HTMLSelectElement).value);
            if (chosen) setRange(chosen);
          }}
        >
          {RANGES.map((item) => (
            <option key={item.id} value={item.id}>
              {item.label}
            </option>
          ))}
        </select>
        {series.loading && <span class="muted">Loading…</span>}
      </div>
      {series.error && <p class="form-error">{series.error}</p>}
      {datasets && (
        <div class="charts">
          {CHART_METRICS.map((metric, index) => (
            <TimeChart
              key={metric.id}
              metric={metric}
              data={datasets[index] as (typeof datasets)[number]}
              fromLabel={fromLabel}
              toLabel={toLabel}
            />
          ))}
        </div>
      )}
    </>
  );
}
