import { createRequire } from 'node:module';
import { definePlugin } from '@msg/core';
import { mtnOptionsSchema } from './mtn-options.js';
import { createMtnProvider } from './mtn-provider.js';
import { PLUGIN_NAME } from './mtn-provider-types.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const mtnPlugin = definePlugin({
  name: PLUGIN_NAME,
  version,
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: mtnOptionsSchema,
  create: createMtnProvider,
});

export default mtnPlugin;
export { createMtnApiProvider, deliveryReportUrl, type MtnApiSettings } from './mtn-api-provider.js';
export {
  DELIVERY_STATUSES,
  MTN_BASE_URL,
  type MtnDeliveryReport,
  type MtnDeliveryStatus,
  type MtnOutboundRequest,
  type MtnOutboundResponse,
  OUTBOUND_PATH,
  SUBSCRIPTION_PATH,
  TOKEN_PATH,
} from './mtn-api-types.js';
export { SEND_HTTP_STATUS_KINDS } from './mtn-error.js';
export {
  type MtnPluginOptions,
  type MtnResolvedOptions,
  type MtnSmppOptions,
  mtnOptionsSchema,
  mtnSmppOptionsSchema,
} from './mtn-options.js';
export { createMtnProvider, smppSessionOptions } from './mtn-provider.js';
export { type DeliveryEventListener, type MtnProvider, PLUGIN_NAME } from './mtn-provider-types.js';
export { createMtnSmppProvider, type MtnSmppSettings } from './mtn-smpp-provider.js';
export { MTN_STATUS_MAP, WEBHOOK_TOKEN_PARAMETER } from './mtn-webhook.js';
