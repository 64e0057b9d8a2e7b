/** Amounts are held in micro-units (10^-6 of the currency) as integers: sums are exact to the cent and beyond. */
export const MICROS_PER_UNIT = 1_000_000;

const DECIMAL = /^(\d{1,12})(?:\.(\d{1,6}))?$/;

/** `"0.0123"` as micro-units (`12300`); undefined when it is not a non-negative decimal of up to 6 places. */
export function parseMicros(amount: string): number | undefined {
  const match = DECIMAL.exec(amount.trim());
  if (!match) return undefined;
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(6, '0'));
  return whole * MICROS_PER_UNIT + fraction;
}

/** Provider-reported cost (`"-0.0075"` as Twilio states a charge, `"KES 0.8000"`) as micro-units, rounded up. */
export function reportedMicros(amount: string): number | undefined {
  const value = Number(amount.replace(/^[A-Z]{3}\s+/, ''));
  if (!Number.isFinite(value)) return undefined;
  return Math.ceil(Math.abs(value) * MICROS_PER_UNIT - 1e-6);
}

/** Micro-units as a decimal string with 6 places (`12300` → `"0.012300"`); negative keeps its sign. */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const absolute = Math.abs(micros);
  const whole = Math.floor(absolute / MICROS_PER_UNIT);
  const fraction = String(absolute % MICROS_PER_UNIT).padStart(6, '0');
  return `${sign}${whole}.${fraction}`;
}
