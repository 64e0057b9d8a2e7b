/** How numbers and times read on the pages. Undefined shows as an en dash: no data, not zero. */

export const NONE = '–';

export function percent(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? NONE : `${(value * 100).toFixed(digits)} %`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return NONE;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
  return `${Math.floor(ms / 86_400_000)} d ${Math.round((ms % 86_400_000) / 3_600_000)} h`;
}

export function count(value: number | undefined): string {
  return value === undefined ? NONE : new Intl.NumberFormat('en').format(value);
}

export function money(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return NONE;
  return value < 0.01 ? value.toPrecision(2) : value.toFixed(4).replace(/0{1,2}$/, '');
}

/** A time as the operator's clock shows it, to the second. */
export function time(iso: string | undefined): string {
  if (!iso) return NONE;
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? NONE
    : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A metric's value in its unit: rates as percentages, times as durations, the rest as numbers. */
export function metricValue(metric: string, value: number | undefined): string {
  if (/Rate$/.test(metric)) return percent(value);
  if (/Ms$/.test(metric)) return duration(value);
  if (/^cost/.test(metric)) return money(value);
  return count(value);
}

/** `deliveredRate` → `delivered rate`. */
export function words(name: string): string {
  return name
    .replace(/Ms$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}
