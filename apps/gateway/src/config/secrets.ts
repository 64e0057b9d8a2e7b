/**
 * Values that came from `${VAR}` references. The gateway never prints them: every log line and
 * error message passes through `redact`, which replaces each known secret with `***`.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();

  add(value: string): void {
    // Short values would redact innocent text ("1", "true"); they are not secrets worth hiding.
    if (value.length >= 4) this.values.add(value);
  }

  redact(text: string): string {
    let result = text;
    for (const value of this.values) {
      if (result.includes(value)) result = result.split(value).join('***');
      const encoded = encodeURIComponent(value);
      if (encoded !== value && result.includes(encoded)) result = result.split(encoded).join('***');
    }
    return result;
  }

  get size(): number {
    return this.values.size;
  }
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface InterpolationIssue {
  path: string;
  variable: string;
}

/**
 * Replaces `${VAR}` (and `${VAR:-default}`) in every string of a parsed config with the
 * environment's value, recording each substituted value as a secret. Missing variables are
 * collected with the path where they appear.
 */
export function interpolate(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  secrets: SecretRegistry,
  issues: InterpolationIssue[],
  path: string[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') {
        secrets.add(found);
        return found;
      }
      if (fallback !== undefined) return fallback;
      issues.push({ path: path.join('.'), variable: name });
      return '';
    });
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolate(item, env, secrets, issues, [...path, String(index)]));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolate(item, env, secrets, issues, [...path, key]),
      ]),
    );
  }
  return value;
}
