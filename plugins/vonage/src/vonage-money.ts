import type { Money } from '@msg/core';

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * The exact sum of Vonage's per-part prices (`"0.03330000"`), as a decimal string with as many
 * fraction digits as the longest price: money is never added as floats. Undefined when a part has
 * no readable price, since a partial sum would understate the cost.
 */
export function sumPrices(prices: ReadonlyArray<string | undefined>, currency: string): Money | undefined {
  if (prices.length === 0 || prices.some((price) => price === undefined || !DECIMAL.test(price))) {
    return undefined;
  }
  const scale = Math.max(...prices.map((price) => (price as string).split('.')[1]?.length ?? 0));
  let total = 0n;
  for (const price of prices as string[]) {
    const [whole = '0', fraction = ''] = price.split('.');
    total += BigInt(whole + fraction.padEnd(scale, '0'));
  }
  const digits = total.toString().padStart(scale + 1, '0');
  const amount = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return { amount, currency };
}
