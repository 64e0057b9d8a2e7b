import { PluginError } from './errors.js';
import { CHANNELS, type Channel, isChannel } from './message.js';
import { type Provider, type SpecificationVersion, SUPPORTED_SPECIFICATION_VERSIONS } from './provider.js';
import { type StandardSchemaV1, toValidationIssues } from './standard-schema.js';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** What the host hands a plugin when it creates a provider instance. Never the DI container. */
export interface PluginContext {
  /** The instance id from config; becomes `provider.id`. */
  instanceId: string;
  logger: Logger;
  /** Public URL at which the host receives this instance's webhooks, when it has one. */
  webhookUrl?: string | undefined;
  /** Milliseconds since the epoch; injected so tests control time. */
  now(): number;
}

export interface Plugin<Options = unknown, C extends Channel = Channel> {
  /** Package name, e.g. `@msg/plugin-twilio`. */
  readonly name: string;
  readonly version: string;
  readonly specificationVersion: SpecificationVersion;
  readonly channels: readonly C[];
  readonly optionsSchema: StandardSchemaV1<unknown, Options>;
  create(options: Options, context: PluginContext): Provider<C> | Promise<Provider<C>>;
}

/** Identity function that fixes the types of a plugin's options from its schema. */
export function definePlugin<S extends StandardSchemaV1, C extends Channel>(
  plugin: Omit<Plugin<StandardSchemaV1.InferOutput<S>, C>, 'optionsSchema'> & { optionsSchema: S },
): Plugin<StandardSchemaV1.InferOutput<S>, C> {
  return plugin as Plugin<StandardSchemaV1.InferOutput<S>, C>;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Host-side check of a module's default export: the shape of a plugin and a contract version
 * this host supports. `source` names the package or path the module came from.
 */
export function assertPlugin(candidate: unknown, source: string): Plugin {
  const value =
    typeof candidate === 'object' && candidate !== null && 'default' in candidate
      ? (candidate as { default: unknown }).default
      : candidate;
  if (typeof value !== 'object' || value === null) {
    throw new PluginError(
      'MSG_ERR_PLUGIN_INVALID',
      source,
      `default export must be a plugin object, got ${describe(value)}`,
    );
  }
  const plugin = value as Partial<Plugin>;
  const name = typeof plugin.name === 'string' && plugin.name ? plugin.name : source;
  if (!SUPPORTED_SPECIFICATION_VERSIONS.includes(plugin.specificationVersion as string)) {
    throw new PluginError(
      'MSG_ERR_PLUGIN_VERSION',
      name,
      `implements contract ${JSON.stringify(plugin.specificationVersion)}, but this host supports ${SUPPORTED_SPECIFICATION_VERSIONS.join(', ')}; upgrade the plugin or the host`,
    );
  }
  const missing: string[] = [];
  if (typeof plugin.name !== 'string' || !plugin.name) missing.push('name');
  if (typeof plugin.version !== 'string') missing.push('version');
  if (!Array.isArray(plugin.channels) || plugin.channels.length === 0) missing.push('channels');
  if (typeof plugin.create !== 'function') missing.push('create()');
  if (typeof plugin.optionsSchema?.['~standard']?.validate !== 'function')
    missing.push('optionsSchema (a Standard Schema)');
  if (missing.length > 0) {
    throw new PluginError(
      'MSG_ERR_PLUGIN_INVALID',
      name,
      `is not a valid plugin: missing or invalid ${missing.join(', ')}`,
    );
  }
  const unknown = (plugin.channels as unknown[]).filter((channel) => !isChannel(channel));
  if (unknown.length > 0) {
    throw new PluginError(
      'MSG_ERR_PLUGIN_INVALID',
      name,
      `declares ${unknownChannels(unknown)}; this host knows ${CHANNELS.join(', ')} (upgrade the host, or the plugin is not for it)`,
    );
  }
  return plugin as Plugin;
}

function unknownChannels(channels: readonly unknown[]): string {
  const names = channels.map((channel) => JSON.stringify(channel) ?? String(channel)).join(', ');
  return channels.length === 1
    ? `channel ${names}, which is unknown`
    : `channels ${names}, which are unknown`;
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // A missing dependency *of* the plugin is a different problem: only the plugin itself counts.
  const message = String((error as Error).message);
  return (
    message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`) || message.includes(specifier)
  );
}

/**
 * Imports a plugin by package name or file URL/path and checks it. `importer` defaults to the
 * host's dynamic import; the gateway passes one that resolves from the config file's folder.
 */
export async function importPlugin(
  specifier: string,
  importer: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<Plugin> {
  let module: unknown;
  try {
    module = await importer(specifier);
  } catch (error) {
    if (isModuleNotFound(error, specifier)) {
      throw new PluginError(
        'MSG_ERR_PLUGIN_NOT_FOUND',
        specifier,
        `cannot find ${specifier} — is it installed?`,
        {
          cause: error,
        },
      );
    }
    throw new PluginError(
      'MSG_ERR_PLUGIN_INVALID',
      specifier,
      `failed to load: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return assertPlugin(module, specifier);
}

/** Validates `options` with the plugin's schema; errors name the plugin, instance and option path. */
export async function validatePluginOptions<O>(
  plugin: Plugin<O>,
  options: unknown,
  instanceId: string,
): Promise<O> {
  let result = plugin.optionsSchema['~standard'].validate(options ?? {});
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    const issues = toValidationIssues(result.issues);
    const text = issues
      .map((issue) => `options${issue.path ? `.${issue.path}` : ''}: ${issue.message}`)
      .join('; ');
    throw new PluginError(
      'MSG_ERR_PLUGIN_OPTIONS',
      plugin.name,
      `instance "${instanceId}" has invalid options: ${text}`,
      {
        issues,
      },
    );
  }
  return result.value;
}

/** Validates options, creates the provider and checks what `create` returned. */
export async function createProvider<O>(
  plugin: Plugin<O>,
  options: unknown,
  context: PluginContext,
): Promise<Provider> {
  const validated = await validatePluginOptions(plugin, options, context.instanceId);
  let provider: Provider;
  try {
    provider = await plugin.create(validated, context);
  } catch (error) {
    if (PluginError.isInstance(error)) throw error;
    throw new PluginError(
      'MSG_ERR_PLUGIN_CREATE',
      plugin.name,
      `instance "${context.instanceId}" could not be created: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (typeof provider?.send !== 'function' || typeof provider.close !== 'function') {
    throw new PluginError(
      'MSG_ERR_PLUGIN_INVALID',
      plugin.name,
      'create() must return a provider with send() and close()',
    );
  }
  if (provider.id !== context.instanceId) {
    throw new PluginError(
      'MSG_ERR_PLUGIN_INVALID',
      plugin.name,
      `create() returned a provider with id "${provider.id}"; it must use context.instanceId ("${context.instanceId}")`,
    );
  }
  if (!isChannel(provider.channel)) {
    throw new PluginError(
      'MSG_ERR_PLUGIN_INVALID',
      plugin.name,
      `create() returned a provider of ${unknownChannels([provider.channel])}; this host knows ${CHANNELS.join(', ')}`,
    );
  }
  if (!plugin.channels.includes(provider.channel)) {
    throw new PluginError(
      'MSG_ERR_PLUGIN_INVALID',
      plugin.name,
      `provider channel "${provider.channel}" is not among the plugin's channels`,
    );
  }
  return provider;
}
