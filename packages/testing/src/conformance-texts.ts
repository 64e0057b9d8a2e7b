/** A text the suite sends, and what to call it in a failure. */
export interface SampleText {
  label: string;
  text: string;
}

/**
 * Texts the gateway's API accepts that have broken plugins' encoders: each must be sent, or
 * refused with a `ProviderError` that is not `ambiguous` (nothing left the process, or the
 * provider said no).
 */
export const HOSTILE_TEXTS: readonly SampleText[] = [
  { label: 'emoji (with joiners and flags)', text: 'Party 🎉 family 👩‍👩‍👧‍👦 flag 🇿🇲 done' },
  { label: 'combining marks', text: 'Ame\u0301lie Z\u0351\u0362a\u0308lgo n\u0303' },
  { label: 'right-to-left text and overrides', text: 'مرحبا بالعالم \u202Eevil\u202C שלום' },
  { label: 'GSM-7 extension characters', text: 'Price: 10€ {x} [y] ~z^ |w| \\ end' },
  { label: 'URL and form metacharacters', text: 'a&b=c+d%20e%zz#f?g/h;i&amp;' },
  { label: 'quotes and markup', text: `"double" 'single' \`back\` <b>bold</b> \\"escaped\\" ]]>` },
  { label: 'CR/LF line breaks', text: 'line one\r\nline two\nline three\rBcc: victim@example.com' },
  {
    label: 'NUL-free control characters',
    text: 'tab\there\u0001\u0007\u001b[31mred\u007f\u0085\u2028\u2029end',
  },
  { label: 'zero-width characters and a BOM', text: '\ufeffzero\u200bwidth\u200djoin\u2060' },
  { label: 'percent escapes that are not ours', text: '%E2%82%AC %00 %0d%0a %' },
  { label: '1600 GSM-7 characters', text: 'x'.repeat(1600) },
  { label: '1600 UCS-2 characters', text: 'ж'.repeat(1600) },
];

/**
 * Texts no UTF-8 or UCS-2 encoder can carry. The JSON API can be given them (`"\ud800"` is
 * valid JSON); a plugin sends them or refuses them as `permanent`, and never crashes on them.
 */
export const LONE_SURROGATE_TEXTS: readonly SampleText[] = [
  { label: 'a lone high surrogate', text: '\ud800' },
  { label: 'a lone low surrogate mid-text', text: 'before \udc00 after' },
  { label: 'an emoji cut in half at the end', text: 'cut emoji \ud83d' },
];

/** Texts whose SMS part count a naive `length / 160` gets wrong. */
export const SEGMENT_TEXTS: readonly SampleText[] = [
  { label: 'GSM-7 of 160 characters (one part)', text: 'a'.repeat(160) },
  { label: 'GSM-7 of 161 characters (two parts)', text: 'a'.repeat(161) },
  { label: 'GSM-7 extension characters (two septets each)', text: '{}[]~^|€\\'.repeat(18) },
  { label: 'UCS-2 of 71 characters', text: 'Привет, мир! '.repeat(5).slice(0, 71) },
  { label: 'UCS-2 emoji (two UTF-16 units each)', text: '🎉'.repeat(36) },
];
