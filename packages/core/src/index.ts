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
export {
  CHANNELS,
  type Channel,
  type EmailAddress,
  type EmailAttachment,
  type EmailMessage,
  emailRecipients,
  formatEmailAddress,
  isEmailAddress,
  type Message,
  type MessageFor,
  SMS_MAX_TEXT_LENGTH,
  type SmsMessage,
  validateMessage,
} from './message.js';
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
  SUPPORTED_SPECIFICATION_VERSIONS,
  type WebhookRequest,
  type WebhookResult,
} from './provider.js';
export { kindFromHttpStatus, networkError, parseMoney, parseRetryAfter } from './provider-utils.js';
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
  isDeliveryStatus,
  isFailureStatus,
  isFinalStatus,
  reduceStatuses,
  type SmsDeliveryStatus,
  statusRank,
} from './status.js';
