import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The gateway's own install: a plugin installed next to the gateway resolves from any config folder.
const GATEWAY_DIRECTORY = dirname(fileURLToPath(import.meta.url));

type Exports = string | { [condition: string]: Exports } | null | undefined;

function pickExport(entry: Exports, conditions: readonly string[]): string | undefined {
  if (typeof entry === 'string') return entry;
  if (!entry || typeof entry !== 'object') return undefined;
  for (const condition of [...conditions, 'import', 'node', 'default']) {
    const found = pickExport(entry[condition], conditions);
    if (found) return found;
  }
  return undefined;
}

/** The `--conditions` (`-C`) this process runs with, so plugins resolve as Node would resolve them. */
export function activeConditions(
  argv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const args = [...argv, ...nodeOptions.split(/\s+/).filter(Boolean)];
  const found: string[] = [];
  args.forEach((arg, index) => {
    if (arg.startsWith('--conditions=')) found.push(arg.slice('--conditions='.length));
    else if ((arg === '--conditions' || arg === '-C') && args[index + 1])
      found.push(args[index + 1] as string);
    else if (arg.startsWith('-C') && arg.length > 2) found.push(arg.slice(2));
  });
  return found;
}

/**
 * Resolves a plugin specifier the way a user reads the config: a path is relative to the config
 * file's folder; a package name is looked up in node_modules from that folder upwards, then from
 * the gateway's own install. Returns a URL for `import()`, or the bare name when nothing is
 * found (so the import fails with the resolver's not-found error).
 */
export function resolvePluginModule(
  specifier: string,
  fromDirectory: string,
  conditions: readonly string[] = activeConditions(),
): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    return pathToFileURL(resolve(fromDirectory, specifier)).href;
  }
  const [scopeOrName, maybeName, ...rest] = specifier.split('/');
  const packageName = scopeOrName?.startsWith('@') ? `${scopeOrName}/${maybeName}` : (scopeOrName as string);
  const subpath = (scopeOrName?.startsWith('@') ? rest : [maybeName, ...rest]).filter(Boolean).join('/');
  for (const start of [resolve(fromDirectory), GATEWAY_DIRECTORY]) {
    const found = findInNodeModules(start, packageName, subpath, conditions);
    if (found) return found;
  }
  return specifier;
}

function findInNodeModules(
  from: string,
  packageName: string,
  subpath: string,
  conditions: readonly string[],
): string | undefined {
  let directory = from;
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
            ? pickExport(exportsField as Exports, conditions)
            : undefined
          : pickExport((exportsField as Record<string, Exports> | undefined)?.[key], conditions);
      const file = target ?? (subpath ? subpath : (manifest.module ?? manifest.main ?? 'index.js'));
      return pathToFileURL(join(packageRoot, file)).href;
    }
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}
