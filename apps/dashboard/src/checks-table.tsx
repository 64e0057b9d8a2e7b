import type { ChecksView } from './api-types.js';
import { VerdictBadge } from './badges.js';
import { NONE, time } from './format.js';
import { ScrollRegion } from './scroll-region.js';

const number = (value: number | undefined) =>
  value === undefined ? NONE : Number.isInteger(value) ? String(value) : value.toFixed(3);

/** The last analysis: each check's verdict, the values it compared, and why. */
export function ChecksTable({ checks }: { checks: ChecksView | null }) {
  if (!checks) return <p class="muted">No analysis has run yet.</p>;
  return (
    <>
      <p class="row">
        <span>Verdict</span> <VerdictBadge verdict={checks.verdict} />
        <span class="muted">
          step {checks.step}, {time(checks.at)}
        </span>
      </p>
      <ScrollRegion label="Last analysis checks">
        <table>
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Result</th>
              <th scope="col" class="number">
                Value
              </th>
              <th scope="col" class="number">
                Threshold
              </th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {checks.checks.map((check) => (
              <tr key={check.name}>
                <th scope="row">
                  <code>{check.name}</code>
                </th>
                <td>
                  <VerdictBadge verdict={check.verdict} />
                </td>
                <td class="number">{number(check.value)}</td>
                <td class="number">{number(check.threshold)}</td>
                <td class="reason">{check.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </>
  );
}
