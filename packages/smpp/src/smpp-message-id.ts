/**
 * Message ids: some SMSCs answer submit_sm_resp with a hex id and put the same number in decimal in
 * the receipt (or the other way round). A format says how to read an id; `auto` tries the id as
 * it is first, then as the other base.
 */
export type MessageIdFormat = 'auto' | 'hex' | 'decimal' | 'string';

const DECIMAL = /^[0-9]+$/;
const HEX = /^[0-9a-f]+$/;

function canonical(id: string): string {
  const lower = id.trim().toLowerCase();
  return lower.replace(/^0+(?=.)/, '');
}

/**
 * A comparable key for an id read in `format`: hex and decimal ids become their decimal value, so
 * `'2a'` read as hex and `'42'` read as decimal give the same key. `auto` and `string` keep the id
 * (lower-cased, leading zeros dropped).
 */
export function normaliseMessageId(id: string, format: MessageIdFormat = 'auto'): string {
  const text = canonical(id);
  if (format === 'hex' && HEX.test(text)) return BigInt(`0x${text}`).toString(10);
  if (format === 'decimal' && DECIMAL.test(text)) return BigInt(text).toString(10);
  return text;
}

/** Keys an id may stand for, the id itself first: `['42', '2a', '66']` for `'42'`. */
export function messageIdVariants(id: string): string[] {
  const text = canonical(id);
  const variants = [text];
  if (DECIMAL.test(text)) variants.push(BigInt(text).toString(16));
  if (HEX.test(text)) variants.push(BigInt(`0x${text}`).toString(10));
  return [...new Set(variants)];
}

/** Whether two ids name the same message: equal, or one is the other written in the other base. */
export function messageIdsMatch(first: string, second: string): boolean {
  const a = canonical(first);
  const b = canonical(second);
  if (a === b) return true;
  const bVariants = new Set(messageIdVariants(b));
  return messageIdVariants(a).some((variant) => bVariants.has(variant));
}

/**
 * Remembers recent submit_sm_resp ids so a receipt's id can be mapped back to the one the submit
 * returned. Bounded: the oldest ids are forgotten first.
 */
export class MessageIdIndex {
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly submitFormat: MessageIdFormat = 'auto',
    private readonly receiptFormat: MessageIdFormat = 'auto',
    private readonly capacity = 100_000,
  ) {}

  add(submitId: string): void {
    const key = normaliseMessageId(submitId, this.submitFormat);
    this.ids.delete(key);
    this.ids.set(key, submitId);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
  }

  /** The submit id a receipt id refers to, or undefined when no recent submit matches. */
  find(receiptId: string): string | undefined {
    const exact = this.ids.get(normaliseMessageId(receiptId, this.receiptFormat));
    if (exact !== undefined || this.receiptFormat !== 'auto' || this.submitFormat !== 'auto') return exact;
    for (const variant of messageIdVariants(receiptId)) {
      const found = this.ids.get(variant);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  delete(submitId: string): void {
    this.ids.delete(normaliseMessageId(submitId, this.submitFormat));
  }
}
