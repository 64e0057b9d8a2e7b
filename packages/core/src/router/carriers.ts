/**
 * Carrier lookup by E.164 prefix. Number portability makes this a guess, but a good one: in Zambia
 * few numbers are ported, and the prefix is what the carriers' own routing tables use.
 */

/** Carrier name -> E.164 prefixes (with `+`) of the ranges it owns. */
export type CarrierTable = Readonly<Record<string, readonly string[]>>;

export const ZAMBIA_CARRIERS: CarrierTable = {
  zamtel: ['+26055', '+26075', '+26095'],
  mtn: ['+26056', '+26076', '+26096'],
  airtel: ['+26057', '+26077', '+26097'],
  beeline: ['+26058', '+26078', '+26098'],
};

/** A compiled table: longest prefix wins, so a table may hold `+2609` and `+26097` together. */
export class CarrierLookup {
  private readonly byPrefix = new Map<string, string>();
  private readonly lengths: number[];

  constructor(table: CarrierTable) {
    const lengths = new Set<number>();
    for (const [carrier, prefixes] of Object.entries(table)) {
      for (const prefix of prefixes) {
        this.byPrefix.set(prefix, carrier);
        lengths.add(prefix.length);
      }
    }
    this.lengths = [...lengths].sort((left, right) => right - left);
  }

  has(carrier: string): boolean {
    for (const value of this.byPrefix.values()) if (value === carrier) return true;
    return false;
  }

  /** The carrier owning an E.164 number, or undefined when no prefix in the table matches. */
  carrierOf(e164: string): string | undefined {
    for (const length of this.lengths) {
      if (length > e164.length) continue;
      const carrier = this.byPrefix.get(e164.slice(0, length));
      if (carrier !== undefined) return carrier;
    }
    return undefined;
  }
}
