import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { airtelOptionsSchema } from './airtel-options.js';
import { createAirtelProvider, PLUGIN_NAME } from './airtel-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const airtelPlugin = definePlugin({
  name: PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: airtelOptionsSchema,
  create(options, context) {
    return createAirtelProvider(context.instanceId, { ...options, logger: context.logger, now: context.now });
  },
});

export default airtelPlugin;
/** stat word -> normalised status of Airtel's receipts (SMPP 3.4 appendix B, from @msg/smpp). */
export { RECEIPT_STATUS_MAP as AIRTEL_STATUS_MAP } from '@msg/smpp';
export { type AirtelOptions, type AirtelPluginOptions, airtelOptionsSchema } from './airtel-options.js';
export { type AirtelProvider, type AirtelProviderSettings, createAirtelProvider } from './airtel-provider.js';
