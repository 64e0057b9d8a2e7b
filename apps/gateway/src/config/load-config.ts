import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import {
  MsgError,
  toValidationIssues,
  ValidationError,
  type ValidationIssue,
  validateRouterConfig,
} from '@msg/core';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { type GatewayConfig, gatewayConfigSchema } from './config-schema.js';
import { type InterpolationIssue, interpolate, SecretRegistry } from './secrets.js';
import { typeReferences, wholeReferencePaths } from './typed-references.js';

export class ConfigError extends MsgError {
  readonly file: string;
  readonly issues: readonly ValidationIssue[];

  constructor(file: string, issues: readonly ValidationIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`).join('\n');
    super('MSG_ERR_CONFIG', `[msg] invalid config ${file}:\n${lines}`);
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export interface LoadedConfig {
  config: GatewayConfig;
  /** Absolute path of the file, or `<inline>`. */
  file: string;
  /** Folder that relative plugin paths and store paths resolve from. */
  directory: string;
  secrets: SecretRegistry;
}

/** Validates an already-parsed config object (tests, embedding). */
export function parseConfig(
  raw: unknown,
  options: { file?: string; directory?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): LoadedConfig {
  const file = options.file ?? '<inline>';
  const secrets = new SecretRegistry();
  const missing: InterpolationIssue[] = [];
  const interpolated = interpolate(raw, options.env ?? process.env, secrets, missing);
  if (missing.length > 0) {
    throw new ConfigError(
      file,
      missing.map((issue) => ({
        path: issue.path,
        message: `environment variable ${issue.variable} is not set`,
      })),
    );
  }
  const references = wholeReferencePaths(raw);
  if (references.size > 0) {
    typeReferences(interpolated, references, (value) => {
      const parsed = gatewayConfigSchema.safeParse(value);
      const issues = parsed.success ? [] : toValidationIssues(parsed.error.issues);
      const routing = (value as { routing?: { routes?: unknown } } | undefined)?.routing;
      if (parsed.success && Array.isArray(routing?.routes)) {
        // The router's own validator judges the routing section; its paths are relative to it.
        try {
          validateRouterConfig(routing);
        } catch (error) {
          if (!ValidationError.isInstance(error)) throw error;
          return error.issues.map((issue) => ({ ...issue, path: `routing.${issue.path}` }));
        }
      }
      return issues;
    });
  }
  const result = gatewayConfigSchema.safeParse(interpolated);
  if (!result.success) {
    // Zod quotes received values in some messages; never echo a secret.
    const issues = toValidationIssues(result.error.issues).map((issue) => ({
      path: issue.path,
      message: secrets.redact(issue.message),
    }));
    throw new ConfigError(file, issues);
  }
  return { config: result.data, file, directory: options.directory ?? process.cwd(), secrets };
}

/** Reads a YAML or JSON config file, substitutes `${VAR}` from the environment, validates it. */
export async function loadConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LoadedConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [
      { path: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code})` },
    ]);
  }
  let raw: unknown;
  try {
    raw = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError ? ` at line ${error.linePos?.[0].line}` : '';
    throw new ConfigError(file, [
      {
        path: '',
        message: `not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}${where}: ${(error as Error).message.split('\n')[0]}`,
      },
    ]);
  }
  return parseConfig(raw, { file, directory: dirname(file), env });
}
