import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { count, duration, money, percent } from './format.js';
import { type ChartData, type ChartMetric, lastValue } from './series.js';

export const SIDE_COLOURS = { from: '#1d4ed8', to: '#c2410c' } as const;

function formatter(unit: ChartMetric['unit']): (value: number) => string {
  if (unit === 'rate') return (value) => percent(value, 0);
  if (unit === 'ms') return (value) => duration(value);
  if (unit === 'money') return (value) => money(value);
  return (value) => count(Math.round(value));
}

let firstChartMarked = false;

/** Marks when the first chart is drawn: the benchmark's "time to first chart". */
function markFirstChart(): void {
  if (firstChartMarked) return;
  firstChartMarked = true;
  performance.mark('msg:first-chart');
  document.documentElement.dataset.firstChart = String(Math.round(performance.now()));
}

interface TimeChartProps {
  metric: ChartMetric;
  data: ChartData;
  fromLabel: string;
  toLabel: string;
}

/**
 * One metric of both sides over time (uPlot on a canvas). Screen readers get the chart as an image
 * whose label says what it shows and the latest value of each side.
 */
export function TimeChart({ metric, data, fromLabel, toLabel }: TimeChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const format = formatter(metric.unit);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const width = Math.max(240, element.clientWidth);
    const options: uPlot.Options = {
      width,
      height: 180,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: {
        // Half a bucket of room at each end: the newest bucket's point is never cut in half.
        x: {
          time: true,
          range: (_self, min, max) => [
            (min ?? 0) - data.bucketSeconds / 2,
            (max ?? 0) + data.bucketSeconds / 2,
          ],
        },
        y: {
          // From zero, with room above the highest point.
          range: (_self, min, max) => [
            Math.min(0, min ?? 0),
            Math.max((max ?? 0) * 1.15, metric.unit === 'rate' ? 0.05 : 1),
          ],
        },
      },
      axes: [
        { stroke: '#475569', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#cbd5e1' } },
        {
          stroke: '#475569',
          size: 64,
          grid: { stroke: '#e2e8f0' },
          ticks: { stroke: '#cbd5e1' },
          values: (_self, ticks) => ticks.map(format),
        },
      ],
      series: [
        {},
        {
          label: fromLabel,
          stroke: SIDE_COLOURS.from,
          width: 2,
          // A bucket between two empty ones is a lone point: without a dot it would not show.
          points: { show: true, size: 7, fill: SIDE_COLOURS.from },
          value: (_self, value) => (value === null ? '–' : format(value)),
        },
        {
          label: toLabel,
          stroke: SIDE_COLOURS.to,
          width: 2,
          dash: [6, 3],
          points: { show: true, size: 7, fill: SIDE_COLOURS.to },
          value: (_self, value) => (value === null ? '–' : format(value)),
        },
      ],
      hooks: { draw: [markFirstChart] },
    };
    const created = new uPlot(options, [data.times, data.from, data.to], element);
    plot.current = created;
    const resize = new ResizeObserver(() => {
      created.setSize({ width: Math.max(240, element.clientWidth), height: 180 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = null;
    };
  }, [metric, fromLabel, toLabel, data.times.length]);

  useEffect(() => {
    plot.current?.setData([data.times, data.from, data.to]);
  }, [data]);

  const latestFrom = lastValue(data.from);
  const latestTo = lastValue(data.to);
  const describe = (value: number | undefined) => (value === undefined ? 'no data' : format(value));
  const label = `${metric.title} over time. Latest: ${fromLabel} ${describe(latestFrom)}, ${toLabel} ${describe(latestTo)}.`;
  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">{metric.title}</span>
        <span class="chart-explain">{metric.explain}</span>
      </figcaption>
      <div ref={holder} class="chart-canvas" role="img" aria-label={label} data-chart={metric.id} />
    </figure>
  );
}
