import type { ValidationIssue } from './errors.js';

/**
 * In a `u` regex a paired surrogate is one code point, so this matches only the lone halves:
 * valid JSON (`"\ud800"`) that no UTF-8 or URL encoder can write.
 */
export const LONE_SURROGATE = /\p{Surrogate}/u;

/** Control characters but tab: CR and LF end a header line, NUL ends a C string. */
const LINE_BREAKING = /[^\P{Cc}\t]/u;

/**
 * Headers the message's own fields set, or that transports and providers reserve (SendGrid copies
 * some into its HTTP request). A custom header may not replace them: it would add a hidden
 * recipient (`Bcc`), change the sender or break the MIME structure.
 */
export const STRUCTURAL_EMAIL_HEADERS: ReadonlySet<string> = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'sender',
  'return-path',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
  'content-id',
  'content-length',
  'received',
  'dkim-signature',
  'resent-from',
  'resent-to',
  'resent-cc',
  'resent-bcc',
  'resent-sender',
  'resent-date',
  'resent-message-id',
  'x-sg-id',
  'x-sg-eid',
  'authorization',
  'host',
  'accept',
  'user-agent',
  'on-behalf-of',
]);

/** Whether every character can be encoded (no lone surrogate). */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

export interface TextRules {
  /** One header line (subject, header value, name, filename): no CR, LF, NUL or other control. */
  singleLine?: boolean;
}

/**
 * Adds an issue when a string a provider will receive cannot be encoded, or when a one-line
 * field holds a line break or another control character (header injection).
 */
export function checkText(
  value: unknown,
  path: string,
  issues: ValidationIssue[],
  rules: TextRules = {},
): void {
  if (typeof value !== 'string') {
    issues.push({ path, message: 'must be a string' });
    return;
  }
  if (!isWellFormedText(value)) {
    issues.push({ path, message: 'holds a lone UTF-16 surrogate, which cannot be encoded' });
  } else if (rules.singleLine && LINE_BREAKING.test(value)) {
    issues.push({ path, message: 'must not hold line breaks (CR, LF), NUL or other control characters' });
  }
}

/** A message's body text (SMS, WhatsApp): not empty, at most `limit` characters, encodable. */
export function checkBodyText(value: unknown, path: string, limit: number, issues: ValidationIssue[]): void {
  if (typeof value !== 'string' || value.trim().length === 0) {
    issues.push({ path, message: 'must not be empty' });
  } else if (value.length > limit) {
    issues.push({ path, message: `is ${value.length} characters; the limit is ${limit}` });
  } else {
    checkText(value, path, issues);
  }
}
