import type { MigrationDetail } from './api-types.js';
import { count, metricValue, time, words } from './format.js';
import { ScrollRegion } from './scroll-region.js';

/** Both sides over the analysis window, metric by metric, with the sample each value rests on. */
export function MetricsTable({ detail }: { detail: MigrationDetail }) {
  const { metrics } = detail;
  const names = Object.keys(metrics.from);
  return (
    <>
      <p class="muted">
        From {time(metrics.window.since)} to {time(metrics.window.until)}
      </p>
      <ScrollRegion label="Metrics of both sides">
        <table>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" class="number">
                from ({detail.from.join(', ')})
              </th>
              <th scope="col" class="number">
                to ({detail.to.join(', ')})
              </th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => {
              const from = metrics.from[name];
              const to = metrics.to[name];
              return (
                <tr key={name}>
                  <th scope="row">{words(name)}</th>
                  <td class="number">
                    {metricValue(name, from?.value)} <span class="muted">n={count(from?.sample)}</span>
                  </td>
                  <td class="number">
                    {metricValue(name, to?.value)} <span class="muted">n={count(to?.sample)}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollRegion>
    </>
  );
}
