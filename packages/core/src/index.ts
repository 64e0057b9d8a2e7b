export {
  abortedError,
  ERROR_KINDS,
  type ErrorKind,
  MsgError,
  type MsgErrorOptions,
  PluginError,
  type PluginErrorCode,
  ProviderError,
  type ProviderErrorOptions,
  ValidationError,
  type ValidationIssue,
  WebhookVerificationError,
} from './errors.js';
export { murmur3, stableBucket } from './hash.js';
export { IpAllowList, isIpAddressOrBlock } from './ip-allow-list.js';
export { type LocalValidationRules, localValidation } from './local-validation.js';
export {
  CHANNELS,
  type Channel,
  EMAIL_MAX_RECIPIENTS,
  type EmailAddress,
  type EmailAttachment,
  type EmailMessage,
  emailRecipients,
  formatEmailAddress,
  isChannel,
  isEmailAddress,
  type Message,
  type MessageBase,
  type MessageFor,
  SMS_MAX_TEXT_LENGTH,
  type SmsMessage,
  validateMessage,
} from './message.js';
export { isWellFormedText, STRUCTURAL_EMAIL_HEADERS } from './message-text.js';
export * from './migration/index.js';
export { type NormalizePhoneOptions, normalizePhoneNumber, phoneNumberCountry } from './phone.js';
export {
  assertPlugin,
  createProvider,
  definePlugin,
  importPlugin,
  type Logger,
  type Plugin,
  type PluginContext,
  silentLogger,
  validatePluginOptions,
} from './plugin.js';
export {
  type BatchItemResult,
  type DeliveryEvent,
  type HealthStatus,
  type Money,
  type Provider,
  type ProviderCapabilities,
  type SenderType,
  type SendOptions,
  type SendResult,
  SPECIFICATION_VERSION,
  type SpecificationVersion,
  type StatusQuery,
  SUPPORTED_SPECIFICATION_VERSIONS,
  type ValidateResult,
  type WebhookRequest,
  type WebhookResult,
} from './provider.js';
export {
  assertEncodableText,
  closedProviderError,
  type HttpAnswer,
  httpAnswerError,
  kindFromHttpStatus,
  networkError,
  PLUGIN_EXCEPTION_CODE,
  parseMoney,
  parseRetryAfter,
  pluginException,
  unreadableAnswerError,
} from './provider-utils.js';
export type { Attempt, SkippedProvider } from './router/attempt.js';
export { CarrierLookup, type CarrierTable, ZAMBIA_CARRIERS } from './router/carriers.js';
export type { BreakerState } from './router/circuit.js';
export {
  type BreakerConfig,
  DEFAULT_FAILOVER_TRIGGERS,
  DEFAULT_HEALTH_WEIGHTS,
  DEFAULT_PROVIDER_POLICY,
  FAILOVER_TRIGGERS,
  type FailoverTrigger,
  type HealthConfig,
  type HealthWeights,
  type KnownProvider,
  type MigrationConfig,
  type MigrationSide,
  type ProviderPolicyConfig,
  type RateLimitConfig,
  RETRY_ORDERS,
  type ResolvedProviderPolicy,
  type RetryConfig,
  type RetryOrder,
  ROUTING_STRATEGIES,
  type RouteConfig,
  type RouteMatch,
  type RouteProvider,
  type RouterConfig,
  type RoutingStrategy,
  resolveProviderPolicy,
  type StickyKey,
  type VipRule,
  validateRouterConfig,
} from './router/config.js';
export type {
  ExcludedProvider,
  MigrationDecision,
  RoutingDecision,
  RoutingOverride,
} from './router/decision.js';
export {
  type AttemptFailedEvent,
  type AttemptStartedEvent,
  type AttemptSucceededEvent,
  type BreakerEvent,
  type FailoverEvent,
  type RolloutDecisionEvent,
  type RouterEvent,
  type RouterEventOf,
  RouterEvents,
  type RouterEventType,
  type StateStoreErrorEvent,
} from './router/events.js';
export type { HealthSnapshot } from './router/health.js';
export { ROLLOUT_BUCKETS, rolloutBucket, rolloutSide, stickyKeyOf } from './router/rollout.js';
export {
  type BatchSendOutcome,
  type MigrationStatus,
  type ProviderStatus,
  type RoutedSend,
  Router,
  type RouterOptions,
  type RouterSendOptions,
  type RouterStatus,
  type RouteStatus,
  TIMEOUT_ERROR_CODE,
} from './router/router.js';
export { RoutingError, type RoutingErrorCode, type RoutingErrorOptions } from './router/routing-error.js';
export {
  type BreakerSnapshot,
  MemoryRouterStateStore,
  type MigrationState,
  type RouterStateChange,
  type RouterStateStore,
  type TokenBucketLimit,
} from './router/state.js';
export { type ProviderLoad, type ProviderScore, scoreProviders } from './router/strategies.js';
export { ALPHANUMERIC_SENDER_MAX_LENGTH, senderTypeOf } from './sender-type.js';
export {
  countSmsSegments,
  decodeGsm7,
  detectSmsEncoding,
  encodeGsm7,
  isGsm7,
  type SmsEncoding,
  type SmsSegmentInfo,
  type SmsSegmentOptions,
  splitSms,
} from './sms-encoding.js';
export { type StandardSchemaV1, toValidationIssues, validateWithSchema } from './standard-schema.js';
export {
  type BounceType,
  canAdvanceStatus,
  DELIVERY_STATUSES,
  type DeliveryStatus,
  type EmailDeliveryStatus,
  isDeliveredStatus,
  isDeliveryStatus,
  isFailureStatus,
  isFinalStatus,
  reduceStatuses,
  type SmsDeliveryStatus,
  statusRank,
  type WhatsAppDeliveryStatus,
} from './status.js';
export { readWebhookFields, type WebhookFieldsOptions } from './webhook-fields.js';
export { type UrlTokenGuardOptions, urlTokenGuard } from './webhook-guard.js';
export {
  WHATSAPP_MAX_TEXT_LENGTH,
  type WhatsAppMessage,
  type WhatsAppTemplate,
  type WhatsAppTemplateComponent,
} from './whatsapp-message.js';
