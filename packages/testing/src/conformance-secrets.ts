import type { Logger } from '@msg/core';

export interface Secret {
  /** The option path, named in failures instead of the value. */
  path: string;
  value: string;
}

/** The secret values at `paths` in each options object; `problems` names paths that hold no string. */
export function secretsOf(
  optionSets: ReadonlyArray<unknown>,
  paths: readonly string[],
): { secrets: Secret[]; problems: string[] } {
  const secrets: Secret[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    const values = optionSets
      .map((options) => path.split('.').reduce<unknown>((value, key) => (value as never)?.[key], options))
      .filter((value) => value !== undefined);
    if (values.length === 0 || values.some((value) => typeof value !== 'string' || value.length === 0)) {
      problems.push(`secrets: "${path}" names no non-empty string option`);
      continue;
    }
    for (const value of values as string[]) secrets.push({ path, value });
  }
  return { secrets, problems };
}

/** Every string reachable from `value` (error messages and stacks, field values, keys, bytes). */
function stringsIn(value: unknown, found: string[] = [], seen = new WeakSet<object>(), depth = 0): string[] {
  if (depth > 8 || value === null || value === undefined) return found;
  if (typeof value === 'string') {
    found.push(value);
    return found;
  }
  if (typeof value !== 'object' && typeof value !== 'function') {
    found.push(String(value));
    return found;
  }
  if (seen.has(value)) return found;
  seen.add(value);
  if (value instanceof Uint8Array) {
    found.push(Buffer.from(value).toString('utf8'));
    return found;
  }
  if (value instanceof Error) {
    found.push(value.message, value.stack ?? '');
    stringsIn(value.cause, found, seen, depth + 1);
  }
  if (value instanceof Map || value instanceof Set) {
    for (const entry of value) stringsIn(entry, found, seen, depth + 1);
    return found;
  }
  for (const [key, entry] of Object.entries(value)) {
    found.push(key);
    stringsIn(entry, found, seen, depth + 1);
  }
  return found;
}

/** The paths of the secrets found in `value`, plain or URL-encoded. */
export function secretsIn(value: unknown, secrets: readonly Secret[]): string[] {
  if (secrets.length === 0) return [];
  const texts = stringsIn(value);
  const leaked = new Set<string>();
  for (const secret of secrets) {
    const forms = new Set([secret.value, encodeURIComponent(secret.value)]);
    if (texts.some((text) => [...forms].some((form) => text.includes(form)))) leaked.add(secret.path);
  }
  return [...leaked];
}

/**
 * The logger every provider of the suite gets: it records each line, and `takeLeaks` lists the
 * lines that carried a configured secret (by option path, never the value) since the last call.
 */
export class LogWatch {
  secrets: Secret[] = [];
  private leaks: string[] = [];

  readonly logger: Logger = {
    debug: (message, fields) => this.write('debug', message, fields),
    info: (message, fields) => this.write('info', message, fields),
    warn: (message, fields) => this.write('warn', message, fields),
    error: (message, fields) => this.write('error', message, fields),
  };

  takeLeaks(): string[] {
    return this.leaks.splice(0);
  }

  private write(level: string, message: string, fields: Record<string, unknown> | undefined): void {
    for (const path of secretsIn([message, fields], this.secrets)) {
      this.leaks.push(`secret option "${path}" in a ${level} line: "${message.slice(0, 80)}"`);
    }
  }
}
