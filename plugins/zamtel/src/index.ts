import { createRequire } from 'node:module';
import { definePlugin, type Provider } from '@msg/core';
import { createZamtelHttpProvider, PLUGIN_NAME } from './zamtel-http-provider.js';
import { zamtelOptionsSchema } from './zamtel-options.js';
import { createZamtelSmppProvider } from './zamtel-smpp-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const zamtelPlugin = definePlugin({
  name: PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: zamtelOptionsSchema,
  create(options, context): Provider<'sms'> {
    if (options.mode === 'smpp') {
      return createZamtelSmppProvider(context.instanceId, {
        ...options,
        logger: context.logger,
        now: context.now,
      });
    }
    return createZamtelHttpProvider(context.instanceId, { ...options, logger: context.logger });
  },
});

export default zamtelPlugin;
export {
  contactsSegment,
  redactPath,
  SEND_PATH,
  sendPath,
  ZAMTEL_BASE_URL,
  type ZamtelAnswer,
  zamtelContact,
} from './zamtel-api-types.js';
export { answerError, refusalOf, ZAMTEL_REFUSALS } from './zamtel-error.js';
export { createZamtelHttpProvider, MAX_BATCH_SIZE, type ZamtelHttpSettings } from './zamtel-http-provider.js';
export {
  type ZamtelHttpOptions,
  type ZamtelPluginOptions,
  type ZamtelSmppOptions,
  zamtelHttpOptionsSchema,
  zamtelOptionsSchema,
  zamtelSmppOptionsSchema,
} from './zamtel-options.js';
export {
  createZamtelSmppProvider,
  type ZamtelSmppProvider,
  type ZamtelSmppSettings,
} from './zamtel-smpp-provider.js';
