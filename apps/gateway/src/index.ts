export {
  SIGNATURE_HEADER,
  signCallback,
  TIMESTAMP_HEADER,
  verifyCallback,
} from './callbacks/callback-signature.js';
export {
  type ApiKeyConfig,
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigSchema,
  type PluginEntry,
} from './config/config-schema.js';
export { ConfigError, type LoadedConfig, loadConfig, parseConfig } from './config/load-config.js';
export { SecretRegistry } from './config/secrets.js';
export { GatewayContainer, type Services, Tokens } from './container.js';
export { createGateway, defaultRouting, type Gateway, type GatewayOptions } from './gateway.js';
export { createLogger, type LoggerOptions, type LogLevel } from './logger.js';
export { GatewayMetrics } from './metrics.js';
export {
  type AccountBalance,
  type CampaignRecord,
  type CampaignStore,
  InsufficientCreditError,
  type LedgerEntry,
  type LedgerStore,
} from './store/campaign-store.js';
export type {
  AcceptResult,
  AttemptRecord,
  CallbackRequest,
  DispatchOutcome,
  DispatchState,
  EventRecord,
  MessageStore,
  OutboxCallback,
  StoredMessage,
} from './store/message-store.js';
export { SqliteMessageStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export { StoreUnavailableError } from './store/store-error.js';
