export {
  type CommandStatusInfo,
  commandStatusByName,
  commandStatusError,
  describeCommandStatus,
  formatCommandStatus,
} from './smpp-command-status.js';
export {
  type ConcatenationMode,
  ConcatenationReferences,
  concatenationHeader,
  DATA_CODING,
  type EncodedMessage,
  type EncodedPart,
  type EncodeMessageOptions,
  encodeMessage,
  encodeSmsText,
} from './smpp-encoding.js';
export type { InboundMessage, SmppSessionEvent, SmppSessionEvents } from './smpp-events.js';
export {
  type MessageIdFormat,
  MessageIdIndex,
  messageIdsMatch,
  messageIdVariants,
  normaliseMessageId,
} from './smpp-message-id.js';
export { smppProviderOptionsShape } from './smpp-options-schema.js';
export { createSmppProvider, type SmppProvider, type SmppProviderOptions } from './smpp-provider.js';
export { TokenBucket } from './smpp-rate-limiter.js';
export {
  type DeliverSmFields,
  type DeliveryReceipt,
  isReceipt,
  MESSAGE_STATE_STAT,
  type NetworkErrorCode,
  parseDeliveryReceipt,
  parseReceiptDate,
  parseReceiptText,
  RECEIPT_STATUS_MAP,
  type ReceiptStat,
  type ReceiptText,
  type ReconciledMessage,
  type ReconciledPart,
  receiptStatus,
  reconcileReceipts,
} from './smpp-receipt.js';
export { ReceiptTracker, type ReceiptTrackerOptions } from './smpp-receipt-tracker.js';
export {
  createSmppSession,
  SmppSession,
  type SmppSessionState,
  type SmppSubmitMessage,
  type SmppSubmitOptions,
  type SmppSubmitResult,
} from './smpp-session.js';
export {
  type AddressType,
  type BindMode,
  type BindType,
  type ReconnectOptions,
  SESSION_DEFAULTS,
  type SmppSessionOptions,
  sourceAddressType,
  type ThrottleRetryOptions,
} from './smpp-session-options.js';
