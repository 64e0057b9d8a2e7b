import type { ValidationIssue } from '@msg/core';

const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/** Paths (`routing.routes.0.migration.percentage`) whose whole value is one `${VAR}` reference. */
export function wholeReferencePaths(
  raw: unknown,
  path: string[] = [],
  found = new Set<string>(),
): Set<string> {
  if (typeof raw === 'string') {
    if (WHOLE_REFERENCE.test(raw.trim())) found.add(path.join('.'));
  } else if (Array.isArray(raw)) {
    raw.forEach((item, index) => {
      wholeReferencePaths(item, [...path, String(index)], found);
    });
  } else if (raw && typeof raw === 'object') {
    for (const [key, item] of Object.entries(raw)) wholeReferencePaths(item, [...path, key], found);
  }
  return found;
}

function typed(text: string): number | boolean | undefined {
  if (/^-?\d+(?:\.\d+)?$/.test(text.trim())) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return undefined;
}

function replaceAt(root: unknown, path: string, value: unknown): boolean {
  const keys = path.split('.');
  let node = root as Record<string, unknown> | unknown[];
  for (const key of keys.slice(0, -1)) {
    const next = (node as Record<string, unknown>)[key];
    if (!next || typeof next !== 'object') return false;
    node = next as Record<string, unknown>;
  }
  (node as Record<string, unknown>)[keys.at(-1) as string] = value;
  return true;
}

function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Environment values are strings; a config field may want a number or a boolean
 * (`percentage: ${AT_PCT}`). Validation decides: where it refuses a field whose whole value came
 * from one reference, and the value reads as a number or boolean, the typed value is used and the
 * config validated again. A field that takes strings keeps its string (a numeric API key stays a
 * string), so no type is guessed.
 */
export function typeReferences(
  value: unknown,
  referencePaths: ReadonlySet<string>,
  validate: (value: unknown) => readonly ValidationIssue[],
): void {
  const converted = new Set<string>();
  for (let round = 0; round < 10; round++) {
    let changed = false;
    for (const issue of validate(value)) {
      if (!referencePaths.has(issue.path) || converted.has(issue.path)) continue;
      const current = valueAt(value, issue.path);
      const next = typeof current === 'string' ? typed(current) : undefined;
      if (next !== undefined && replaceAt(value, issue.path, next)) {
        converted.add(issue.path);
        changed = true;
      }
    }
    if (!changed) return;
  }
}
