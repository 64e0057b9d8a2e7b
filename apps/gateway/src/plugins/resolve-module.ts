import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PluginError } from '@msg/core';

// The gateway's own install: a plugin installed next to the gateway resolves from any config folder.
const GATEWAY_DIRECTORY = dirname(fileURLToPath(import.meta.url));
const INDEX_FILES = ['index.js', 'index.mjs', 'index.ts'];

type Exports = string | { [condition: string]: Exports } | null | undefined;

interface Manifest {
  name?: string;
  exports?: Record<string, Exports> | string;
  module?: string;
  main?: string;
}

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

function readManifest(packageRoot: string): Manifest | undefined {
  const path = join(packageRoot, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : undefined;
}

/**
 * The file a package's `exports` (or `module`/`main`) gives for `subpath` ('' for the package
 * itself), or undefined when the package does not export it.
 */
function packageEntry(
  packageRoot: string,
  manifest: Manifest,
  subpath: string,
  conditions: readonly string[],
): string | undefined {
  const key = subpath ? `./${subpath}` : '.';
  const exportsField = manifest.exports;
  if (exportsField !== undefined) {
    const sugar = typeof exportsField === 'string' || !Object.keys(exportsField)[0]?.startsWith('.');
    const target = sugar
      ? key === '.'
        ? pickExport(exportsField as Exports, conditions)
        : undefined
      : pickExport((exportsField as Record<string, Exports>)[key], conditions);
    return target === undefined ? undefined : join(packageRoot, target);
  }
  if (subpath) return join(packageRoot, subpath);
  const main = manifest.module ?? manifest.main;
  if (main) return join(packageRoot, main);
  return INDEX_FILES.map((file) => join(packageRoot, file)).find((file) => existsSync(file));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A plugin given by path: a file is imported as it is; a directory is a package (its
 * `package.json` entry) or a folder with an index file. Anything else is refused with what to write.
 */
function resolvePath(specifier: string, fromDirectory: string, conditions: readonly string[]): string {
  const target = resolve(fromDirectory, specifier);
  if (!isDirectory(target)) return pathToFileURL(target).href;
  const manifest = readManifest(target);
  const entry = manifest
    ? packageEntry(target, manifest, '', conditions)
    : INDEX_FILES.map((file) => join(target, file)).find((file) => existsSync(file));
  if (entry) return pathToFileURL(entry).href;
  throw new PluginError(
    'MSG_ERR_PLUGIN_NOT_FOUND',
    specifier,
    manifest
      ? `${target} has a package.json with no entry for the package itself: add "exports": { ".": "./dist/index.js" } (or "main"), or point resolve at the entry file`
      : `${target} is a folder with neither a package.json nor an index file: point resolve at the plugin's entry file (e.g. ${specifier.replace(/\/$/, '')}/dist/index.js)`,
  );
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
    return resolvePath(specifier, fromDirectory, conditions);
  }
  const found = findPackage(specifier, fromDirectory);
  if (!found) return specifier;
  const file =
    packageEntry(found.root, found.manifest, found.subpath, conditions) ??
    // Not exported: import the path anyway, so that the import's error names it.
    join(found.root, found.subpath || 'index.js');
  return pathToFileURL(file).href;
}

/**
 * Where the plugin named by `resolve` keeps its sandbox simulator (the package's `./simulator`
 * export), or undefined when it has none. A plugin given by path is looked up in the package that
 * holds it (the folder itself, or the nearest package.json above the file).
 */
export function resolveSimulatorModule(
  specifier: string,
  fromDirectory: string,
  conditions: readonly string[] = activeConditions(),
): string | undefined {
  let root: string | undefined;
  let manifest: Manifest | undefined;
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    let directory = resolve(fromDirectory, specifier);
    if (!isDirectory(directory)) directory = dirname(directory);
    for (;;) {
      manifest = readManifest(directory);
      if (manifest) {
        root = directory;
        break;
      }
      const parent = dirname(directory);
      if (parent === directory) return undefined;
      directory = parent;
    }
  } else {
    const found = findPackage(specifier, fromDirectory);
    root = found?.root;
    manifest = found?.manifest;
  }
  // Only an explicit `./simulator` export counts: a plugin opts in to the sandbox.
  if (root === undefined || manifest?.exports === undefined) return undefined;
  const entry = packageEntry(root, manifest, 'simulator', conditions);
  return entry === undefined ? undefined : pathToFileURL(entry).href;
}

/** A package by name (with an optional subpath), from `fromDirectory` upwards, then the gateway's install. */
function findPackage(
  specifier: string,
  fromDirectory: string,
): { root: string; manifest: Manifest; subpath: string } | undefined {
  const [scopeOrName, maybeName, ...rest] = specifier.split('/');
  const packageName = scopeOrName?.startsWith('@') ? `${scopeOrName}/${maybeName}` : (scopeOrName as string);
  const subpath = (scopeOrName?.startsWith('@') ? rest : [maybeName, ...rest]).filter(Boolean).join('/');
  for (const start of [resolve(fromDirectory), GATEWAY_DIRECTORY]) {
    let directory = start;
    for (;;) {
      const root = join(directory, 'node_modules', packageName);
      const manifest = readManifest(root);
      if (manifest) return { root, manifest, subpath };
      const parent = dirname(directory);
      if (parent === directory) break;
      directory = parent;
    }
  }
  return undefined;
}
