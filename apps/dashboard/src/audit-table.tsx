import type { AuditEntry } from './api-types.js';
import { time } from './format.js';
import { ScrollRegion } from './scroll-region.js';

const short = (text: string) => (text.length > 120 ? `${text.slice(0, 119)}…` : text);

function flat(value: unknown): string {
  if (value === undefined || value === null) return '–';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * What a change changed, in a line: the fields that differ (`mode: gradual → rolled-back`), or the
 * whole value where there was nothing before (a plan put in place). Long values are cut: the API
 * has them in full.
 */
export function describeChange(before: unknown, after: unknown): string {
  const isRecord = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isRecord(before) && isRecord(after)) {
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
      (field) => flat(before[field]) !== flat(after[field]),
    );
    if (fields.length === 0) return 'no change';
    return short(
      fields.map((field) => `${field}: ${flat(before[field])} → ${flat(after[field])}`).join('; '),
    );
  }
  return short(`${flat(before)} → ${flat(after)}`);
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
            <th scope="col">Change</th>
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
              <td class="change">{describeChange(entry.before, entry.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
