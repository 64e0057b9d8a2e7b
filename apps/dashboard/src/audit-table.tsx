import type { AuditEntry } from './api-types.js';
import { time } from './format.js';
import { ScrollRegion } from './scroll-region.js';

/** A value before or after a change, short: `{ mode: gradual, percentage: 30 }` reads as `gradual, 30`. */
export function describeState(value: unknown): string {
  if (value === undefined || value === null) return '–';
  if (typeof value !== 'object') return String(value);
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, item]) => item !== undefined && item !== null && typeof item !== 'object',
  );
  const text =
    entries.length === 0
      ? JSON.stringify(value)
      : entries.map(([name, item]) => `${name} ${String(item)}`).join(', ');
  // A whole plan is too long for a table cell; the API has it in full.
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** The audit log's entries: who did what to which subject, when, why, and what changed. */
export function AuditTable({ entries, caption }: { entries: AuditEntry[]; caption: string }) {
  if (entries.length === 0) return <p class="muted">No entries.</p>;
  return (
    <ScrollRegion label={caption}>
      <table class="audit">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Subject</th>
            <th scope="col">Reason</th>
            <th scope="col">Before → after</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id} data-audit-action={entry.action}>
              <td class="nowrap">{time(entry.at)}</td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td>{entry.subject ?? '–'}</td>
              <td class="reason">{entry.reason ?? '–'}</td>
              <td class="change">
                {describeState(entry.before)} → {describeState(entry.after)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
