/**
 * SMS encoding facts (3GPP TS 23.038): GSM-7 when every character is in the default alphabet or
 * its extension table, UCS-2 otherwise. Extension characters cost two septets (ESC + char), an
 * astral character (emoji) two UTF-16 units; neither is ever split across parts.
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Extension table: character -> code after the 0x1B escape. */
const GSM_EXTENSION: ReadonlyMap<string, number> = new Map([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
]);
const GSM_BASIC_CODE: ReadonlyMap<string, number> = new Map(
  [...GSM_BASIC].map((char, index) => [char, index]),
);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegmentOptions {
  /** Concatenation reference size in the UDH: 8-bit (default) or 16-bit, which costs one more octet. */
  referenceBits?: 8 | 16;
}

export interface SmsSegmentInfo {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text. */
  units: number;
  segments: number;
  /** Capacity of one part: 160/70 for a single message, 153/67 (152/66 with a 16-bit reference) when split. */
  unitsPerSegment: number;
  characters: number;
}

const SINGLE = { 'GSM-7': 160, 'UCS-2': 70 } as const;
const CONCATENATED = { 'GSM-7': { 8: 153, 16: 152 }, 'UCS-2': { 8: 67, 16: 66 } } as const;

function gsmCost(char: string): number | undefined {
  if (GSM_BASIC_CODE.has(char) && char !== '\u001b') return 1;
  if (GSM_EXTENSION.has(char)) return 2;
  return undefined;
}

export function isGsm7(text: string): boolean {
  for (const char of text) if (gsmCost(char) === undefined) return false;
  return true;
}

export function detectSmsEncoding(text: string): SmsEncoding {
  return isGsm7(text) ? 'GSM-7' : 'UCS-2';
}

/** Cost of each character (code point) in the encoding's units. */
function unitCosts(text: string, encoding: SmsEncoding): Array<[string, number]> {
  const costs: Array<[string, number]> = [];
  for (const char of text) costs.push([char, encoding === 'GSM-7' ? (gsmCost(char) as number) : char.length]);
  return costs;
}

/** Splits a text into the parts a concatenated SMS would carry; one part when it fits in one message. */
export function splitSms(text: string, options: SmsSegmentOptions = {}): string[] {
  const encoding = detectSmsEncoding(text);
  const costs = unitCosts(text, encoding);
  const total = costs.reduce((sum, [, cost]) => sum + cost, 0);
  if (total <= SINGLE[encoding]) return [text];
  const capacity = CONCATENATED[encoding][options.referenceBits ?? 8];
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const [char, cost] of costs) {
    if (used + cost > capacity) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += char;
    used += cost;
  }
  if (current) parts.push(current);
  return parts;
}

/**
 * Segments of a text, counted without building them: this runs for every message a campaign
 * prices, so it walks the text twice at most and allocates nothing per character.
 */
export function countSmsSegments(text: string, options: SmsSegmentOptions = {}): SmsSegmentInfo {
  let gsmUnits = 0;
  let ucsUnits = 0;
  let characters = 0;
  let gsm = true;
  for (const char of text) {
    characters++;
    ucsUnits += char.length;
    if (gsm) {
      const cost = gsmCost(char);
      if (cost === undefined) gsm = false;
      else gsmUnits += cost;
    }
  }
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  const units = gsm ? gsmUnits : ucsUnits;
  const single = units <= SINGLE[encoding];
  const capacity = CONCATENATED[encoding][options.referenceBits ?? 8];
  let segments = text.length === 0 ? 0 : 1;
  if (!single) {
    // The greedy split of `splitSms`, counted: a character that would overflow a part starts the next.
    let used = 0;
    for (const char of text) {
      const cost = gsm ? (gsmCost(char) as number) : char.length;
      if (used + cost > capacity) {
        segments++;
        used = 0;
      }
      used += cost;
    }
  }
  return { encoding, units, segments, unitsPerSegment: single ? SINGLE[encoding] : capacity, characters };
}

/** GSM-7 text as unpacked septets, one per octet (the form SMPP's data_coding 0 carries). */
export function encodeGsm7(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const basic = GSM_BASIC_CODE.get(char);
    if (basic !== undefined && char !== '\u001b') {
      out.push(basic);
      continue;
    }
    const extended = GSM_EXTENSION.get(char);
    if (extended === undefined)
      throw new RangeError(`character U+${char.codePointAt(0)?.toString(16)} is not in GSM-7`);
    out.push(0x1b, extended);
  }
  return Uint8Array.from(out);
}

/** Inverse of `encodeGsm7`. */
export function decodeGsm7(septets: Uint8Array): string {
  let text = '';
  for (let index = 0; index < septets.length; index++) {
    const code = septets[index] as number;
    if (code === 0x1b && index + 1 < septets.length) {
      const next = septets[++index] as number;
      const found = [...GSM_EXTENSION].find(([, value]) => value === next);
      text += found ? found[0] : ' ';
    } else {
      text += GSM_BASIC[code] ?? '?';
    }
  }
  return text;
}
