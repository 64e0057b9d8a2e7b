import type { WebhookRequest } from '@msg/core';

/** One value of a signed callback to change: every occurrence of `from` becomes `to`. */
export interface ValueChange {
  label: string;
  from: string;
  to: string;
  /** `token`: only whole values (a form value, a JSON string); `text`: any occurrence. */
  match: 'token' | 'text';
}

export interface TamperedRequest {
  label: string;
  request: WebhookRequest;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** The ways a whole value `from` is written in a form or JSON body (also JSON inside a JSON string). */
function tokenPatterns(from: string, to: string): Array<[RegExp, string]> {
  const json = JSON.stringify(from);
  const jsonInString = JSON.stringify(json).slice(1, -1);
  const patterns: Array<[RegExp, string]> = [
    [new RegExp(escapeRegExp(json), 'g'), JSON.stringify(to)],
    [new RegExp(escapeRegExp(jsonInString), 'g'), JSON.stringify(JSON.stringify(to)).slice(1, -1)],
  ];
  for (const encoded of new Set([formEncode(from), encodeURIComponent(from)])) {
    patterns.push([
      new RegExp(`(^|&)([^=&]*)=${escapeRegExp(encoded)}(?=&|$)`, 'g'),
      `$1$2=${formEncode(to)}`,
    ]);
  }
  return patterns;
}

function apply(body: string, change: ValueChange): string {
  if (change.match === 'text') return body.split(change.from).join(change.to);
  let result = body;
  for (const [pattern, replacement] of tokenPatterns(change.from, change.to)) {
    result = result.replace(pattern, replacement);
  }
  return result;
}

/**
 * The signed callback with one signed value changed at a time, every other byte kept: what an
 * attacker who captured a callback sends (a `failed` turned `delivered`, a receipt moved to
 * another message). A check that only catches a broken body (a flipped last byte makes JSON
 * unparseable) lets these through. Changes that match nothing in the body are left out.
 */
export function tamperSignedValues(
  request: WebhookRequest,
  changes: readonly ValueChange[],
): TamperedRequest[] {
  const body = Buffer.from(request.rawBody).toString('utf8');
  const tampered: TamperedRequest[] = [];
  for (const change of changes) {
    const changed = apply(body, change);
    if (changed === body) continue;
    tampered.push({
      label: change.label,
      request: { ...request, rawBody: new TextEncoder().encode(changed) },
    });
  }
  return tampered;
}
