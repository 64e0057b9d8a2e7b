import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Exports = string | { [condition: string]: Exports } | null | undefined;

function pickExport(entry: Exports): string | undefined {
  if (typeof entry === 'string') return entry;
  if (!entry || typeof entry !== 'object') return undefined;
  for (const condition of ['import', 'node', 'default']) {
    const found = pickExport(entry[condition]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Resolves a plugin specifier the way a user reads the config: a path is relative to the config
 * file's folder; a package name is looked up in node_modules from that folder upwards, then from
 * the gateway's own install. Returns a URL for `import()`, or the bare name when nothing is
 * found (so the import fails with the resolver's not-found error).
 */
export function resolvePluginModule(specifier: string, fromDirectory: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    return pathToFileURL(resolve(fromDirectory, specifier)).href;
  }
  const [scopeOrName, maybeName, ...rest] = specifier.split('/');
  const packageName = scopeOrName?.startsWith('@') ? `${scopeOrName}/${maybeName}` : (scopeOrName as string);
  const subpath = (scopeOrName?.startsWith('@') ? rest : [maybeName, ...rest]).filter(Boolean).join('/');
  let directory = resolve(fromDirectory);
  for (;;) {
    const packageRoot = join(directory, 'node_modules', packageName);
    const manifestPath = join(packageRoot, 'package.json');
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        exports?: Record<string, Exports> | string;
        module?: string;
        main?: string;
      };
      const key = subpath ? `./${subpath}` : '.';
      const exportsField = manifest.exports;
      const target =
        typeof exportsField === 'string' || (exportsField && !Object.keys(exportsField)[0]?.startsWith('.'))
          ? key === '.'
            ? pickExport(exportsField as Exports)
            : undefined
          : pickExport((exportsField as Record<string, Exports> | undefined)?.[key]);
      const file = target ?? (subpath ? subpath : (manifest.module ?? manifest.main ?? 'index.js'));
      return pathToFileURL(join(packageRoot, file)).href;
    }
    const parent = dirname(directory);
    if (parent === directory) return specifier;
    directory = parent;
  }
}
