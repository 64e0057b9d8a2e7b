import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { z } from 'zod';
import { createConsoleProvider } from './console-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const consoleOptionsSchema = z
  .object({
    channel: z.enum(['sms', 'email', 'whatsapp']).default('sms'),
    format: z.enum(['pretty', 'json']).default('pretty'),
    /** The status a send reports: `delivered` lets a sandbox show a finished message at once. */
    status: z.enum(['queued', 'sent', 'delivered']).default('delivered'),
    /** Print nothing (benchmarks, tests). */
    silent: z.boolean().default(false),
  })
  .strict();

export type ConsolePluginOptions = z.input<typeof consoleOptionsSchema>;

const consolePlugin = definePlugin({
  name: '@msg/plugin-console',
  version,
  specificationVersion: 'v1',
  channels: ['sms', 'email', 'whatsapp'],
  optionsSchema: consoleOptionsSchema,
  create(options, context) {
    return createConsoleProvider(context.instanceId, {
      channel: options.channel,
      format: options.format,
      status: options.status,
      write: options.silent ? () => {} : (line) => process.stdout.write(`${line}\n`),
    });
  },
});

export default consolePlugin;
export { type ConsoleProviderSettings, createConsoleProvider } from './console-provider.js';
