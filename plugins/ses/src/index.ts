import { createRequire } from 'node:module';
import { definePlugin, type Plugin } from '@msg/core';
import { type SesOptions, sesOptionsSchema } from './ses-options.js';
import { createSesProvider, PLUGIN_NAME, type SesDependencies } from './ses-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * The plugin, with optional replacements for the HTTPS calls its webhook makes to SNS (tests,
 * hosts behind a proxy). The default export is `createSesPlugin()`.
 */
export function createSesPlugin(dependencies: SesDependencies = {}): Plugin<SesOptions, 'email'> {
  return definePlugin({
    name: PLUGIN_NAME,
    version,
    specificationVersion: 'v1',
    channels: ['email'],
    optionsSchema: sesOptionsSchema,
    create: (options, context) => createSesProvider(options, context, dependencies),
  });
}

const sesPlugin = createSesPlugin();
export default sesPlugin;

export { SES_ERROR_KINDS, sesErrorKind } from './ses-error.js';
export { type SesOptions, type SesPluginOptions, sesOptionsSchema } from './ses-options.js';
export { createSesProvider, type SesDependencies } from './ses-provider.js';
export { SES_MAX_RECIPIENTS } from './ses-request.js';
export type { CertificateFetcher, SnsMessage, SubscriptionConfirmer } from './ses-sns.js';
export { MESSAGE_ID_TAG, SES_EVENT_STATUS, type SesEventType } from './ses-webhook.js';
