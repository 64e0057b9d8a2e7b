/** `{{ name }}` in a template: letters, digits, `_`, `-` and `.`. */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** The variables a template uses, in order of first use. */
export function templateVariables(...parts: ReadonlyArray<string | undefined>): string[] {
  const names = new Set<string>();
  for (const part of parts) {
    if (part === undefined) continue;
    for (const match of part.matchAll(PLACEHOLDER)) names.add(match[1] as string);
  }
  return [...names];
}

/** The template with each `{{name}}` replaced by the recipient's value (every name must be there). */
export function renderTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => variables[name] ?? '');
}
