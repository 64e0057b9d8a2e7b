import {
  createProvider,
  importPlugin,
  type Logger,
  type Plugin,
  PluginError,
  type Provider,
} from '@msg/core';
import type { SandboxFactory, SandboxSimulator } from '@msg/testing';
import type { PluginEntry } from '../config/config-schema.js';
import { resolvePluginModule, resolveSimulatorModule } from './resolve-module.js';

/** What a plugin's `./simulator` export offers the sandbox. */
interface SandboxModule {
  sandbox?: SandboxFactory;
}

export interface HostedProvider {
  entry: PluginEntry;
  plugin: Plugin;
  provider: Provider;
  /** Stops the simulator the sandbox started for this instance. */
  stopSimulator?: () => Promise<void>;
}

export interface LoadProvidersOptions {
  directory: string;
  logger: Logger;
  /** Base of webhook URLs: `${publicUrl}/webhooks/${id}`. */
  publicUrl: string;
  sandbox: boolean;
  now?: () => number;
  /** Export conditions for plugin packages; the process's `--conditions` when absent. */
  conditions?: readonly string[];
}

/**
 * Imports every configured plugin, checks its contract version and options, and creates one
 * provider per entry. In sandbox mode each instance is pointed at its plugin's simulator.
 */
export async function loadProviders(
  entries: readonly PluginEntry[],
  options: LoadProvidersOptions,
): Promise<HostedProvider[]> {
  const hosted: HostedProvider[] = [];
  try {
    for (const entry of entries) {
      const specifier = resolvePluginModule(entry.resolve, options.directory, options.conditions);
      const plugin = await importPlugin(specifier).catch((error: unknown) => {
        // Name the package as the user wrote it, not the resolved file URL.
        if (PluginError.isInstance(error) && error.code === 'MSG_ERR_PLUGIN_NOT_FOUND') {
          throw new PluginError(
            'MSG_ERR_PLUGIN_NOT_FOUND',
            entry.resolve,
            `cannot find ${entry.resolve} — is it installed?`,
            {
              cause: error,
            },
          );
        }
        throw error;
      });
      const webhookUrl = `${options.publicUrl.replace(/\/$/, '')}/webhooks/${entry.id}`;
      let pluginOptions: Record<string, unknown> = entry.options;
      let stopSimulator: (() => Promise<void>) | undefined;
      if (options.sandbox) {
        const started = await startSimulator(entry, plugin, webhookUrl, options);
        // The simulator's credentials and URL win over the real ones a config may carry.
        pluginOptions = { ...entry.options, ...started.options };
        stopSimulator = started.stop;
        options.logger.info(`sandbox: ${entry.id} -> simulator of ${plugin.name} at ${started.url}`);
      }
      let provider: Provider;
      try {
        provider = await createProvider(plugin, pluginOptions, {
          instanceId: entry.id,
          logger: options.logger,
          webhookUrl,
          now: options.now ?? Date.now,
        });
      } catch (error) {
        await stopSimulator?.();
        throw error;
      }
      hosted.push({ entry, plugin, provider, ...(stopSimulator ? { stopSimulator } : {}) });
    }
  } catch (error) {
    await closeProviders(hosted);
    throw error;
  }
  return hosted;
}

/**
 * Starts the simulator of an instance in sandbox mode. A plugin without one refuses to start: the
 * sandbox must never send real traffic with the real credentials a config may carry.
 */
async function startSimulator(
  entry: PluginEntry,
  plugin: Plugin,
  webhookUrl: string,
  options: LoadProvidersOptions,
): Promise<SandboxSimulator> {
  const refuse = (why: string, cause?: unknown) =>
    new PluginError(
      'MSG_ERR_PLUGIN_SANDBOX',
      plugin.name,
      `instance "${entry.id}" cannot run in the sandbox: ${why}. The sandbox never sends real traffic: give the plugin a "./simulator" export with a \`sandbox\` factory (docs/writing-a-plugin.md), or leave this instance out of the sandbox config`,
      cause === undefined ? {} : { cause },
    );
  const specifier = resolveSimulatorModule(entry.resolve, options.directory, options.conditions);
  if (specifier === undefined) throw refuse(`${entry.resolve} has no "./simulator" export`);
  let module: SandboxModule;
  try {
    module = (await import(specifier)) as SandboxModule;
  } catch (error) {
    throw refuse(`its simulator failed to load (${(error as Error).message})`, error);
  }
  if (typeof module.sandbox !== 'function') {
    throw refuse(`${entry.resolve}/simulator exports no \`sandbox\` factory`);
  }
  return module.sandbox({ instanceId: entry.id, webhookUrl });
}

export async function closeProviders(hosted: readonly HostedProvider[]): Promise<void> {
  await Promise.allSettled(
    hosted.map(async (item) => {
      await item.provider.close();
      await item.stopSimulator?.();
    }),
  );
}
