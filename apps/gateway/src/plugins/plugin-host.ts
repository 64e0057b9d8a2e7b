import {
  createProvider,
  importPlugin,
  type Logger,
  type Plugin,
  PluginError,
  type Provider,
} from '@msg/core';
import type { SandboxFactory } from '@msg/testing';
import type { PluginEntry } from '../config/config-schema.js';
import { resolvePluginModule } from './resolve-module.js';

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
      if (options.sandbox && entry.sandbox) {
        const simulatorModule = (await import(
          resolvePluginModule(`${entry.resolve}/simulator`, options.directory, options.conditions)
        ).catch(() => ({}))) as SandboxModule;
        if (typeof simulatorModule.sandbox === 'function') {
          const started = await simulatorModule.sandbox({ instanceId: entry.id, webhookUrl });
          // The simulator's credentials and URL win over the real ones a config may carry.
          pluginOptions = { ...entry.options, ...started.options };
          stopSimulator = started.stop;
          options.logger.info(`sandbox: ${entry.id} -> simulator of ${plugin.name}`);
        }
      }
      const provider = await createProvider(plugin, pluginOptions, {
        instanceId: entry.id,
        logger: options.logger,
        webhookUrl,
        now: options.now ?? Date.now,
      });
      hosted.push({ entry, plugin, provider, ...(stopSimulator ? { stopSimulator } : {}) });
    }
  } catch (error) {
    await closeProviders(hosted);
    throw error;
  }
  return hosted;
}

export async function closeProviders(hosted: readonly HostedProvider[]): Promise<void> {
  await Promise.allSettled(
    hosted.map(async (item) => {
      await item.provider.close();
      await item.stopSimulator?.();
    }),
  );
}
