import type { ProviderError } from './errors.js';
import type { Channel, MessageFor } from './message.js';
import type { BounceType, DeliveryStatus } from './status.js';

/** The contract version this @msg/core defines. A plugin declares the one it implements. */
export const SPECIFICATION_VERSION = 'v1';
export type SpecificationVersion = typeof SPECIFICATION_VERSION;
/** The contract versions this host can load. */
export const SUPPORTED_SPECIFICATION_VERSIONS: readonly string[] = [SPECIFICATION_VERSION];

export type SenderType = 'alphanumeric' | 'numeric' | 'short-code' | 'email';

export interface ProviderCapabilities {
  /** Most messages one `sendBatch` call takes (1 when there is no batch API). */
  maxBatchSize: number;
  /** Whether non-GSM text (UCS-2) is supported. */
  unicode: boolean;
  /** Whether the provider reports delivery (webhook or receipt). */
  deliveryReceipts: boolean;
  senderTypes: readonly SenderType[];
  /** Email only: attachments supported. */
  attachments?: boolean;
  /**
   * How `validate` judges a message, when the provider has it: `test-mode` sends it through the
   * provider's own test mode (SendGrid's sandbox mode, Mailgun's `o:testmode`: accepted, never
   * delivered); `local` checks what can be checked without sending (number, sender, encoding).
   */
  validation?: 'test-mode' | 'local' | undefined;
}

export interface SendOptions {
  /** Aborts the request; a provider rejects promptly, with `ambiguous` if the request had left. */
  signal: AbortSignal;
}

export interface Money {
  /** Decimal string, exactly as the provider stated it (`0.8000`), never a float. */
  amount: string;
  /** ISO 4217 (`KES`, `USD`). */
  currency: string;
}

export interface SendResult {
  /** The provider's id for the message; delivery events refer to it. */
  providerMessageId: string;
  /** Where the message stands once the provider accepted it. */
  status: Extract<DeliveryStatus, 'queued' | 'sent' | 'delivered'>;
  /** SMS parts billed, when the provider says. */
  segments?: number | undefined;
  cost?: Money | undefined;
  /** Provider-specific detail worth keeping (network code, request id). */
  details?: Readonly<Record<string, string>> | undefined;
}

/** A message `validate` judged acceptable. */
export interface ValidateResult {
  method: 'test-mode' | 'local';
  segments?: number | undefined;
  /** What sending it would cost, when known. */
  cost?: Money | undefined;
}

/** One message's outcome in a batch: a batch may partly succeed. */
export type BatchItemResult =
  | { messageId: string; ok: true; result: SendResult }
  | { messageId: string; ok: false; error: ProviderError };

/** An inbound HTTP request as the host received it, raw body untouched (signatures cover bytes). */
export interface WebhookRequest {
  method: string;
  /** The full public URL the provider called, with query string: some signatures cover it. */
  url: string;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | undefined>>;
  rawBody: Uint8Array;
  /** Caller's address, for IP allow-lists. */
  remoteAddress?: string | undefined;
}

export interface DeliveryEvent {
  providerMessageId: string;
  /** Our message id, when the provider echoes it (custom args, correlator). */
  messageId?: string | undefined;
  status: DeliveryStatus;
  /** The provider's own status word, kept for the event history. */
  providerStatus: string;
  occurredAt: Date;
  recipient?: string | undefined;
  /** Stable id for de-duplication across retries of the same callback. */
  eventId?: string | undefined;
  bounceType?: BounceType | undefined;
  error?: { code: string; message?: string | undefined } | undefined;
  cost?: Money | undefined;
  details?: Readonly<Record<string, string>> | undefined;
}

export interface WebhookResult {
  events: DeliveryEvent[];
  /** What to answer the provider, when it expects something specific. Default: 200, empty body. */
  response?: { status: number; body?: string; contentType?: string } | undefined;
  /**
   * A value covered by the signature that must be accepted only once (Mailgun's `token`): where a
   * signature does not cover the whole body, a captured signature could carry other content. The
   * host keeps every token in its store, written in the same transaction as the events (so a
   * provider's retry after a failed write is not refused), and refuses a token it has seen with
   * other content. Omit it when the signature covers the whole request.
   */
  replayToken?: string | undefined;
}

/** What the host knows of a sent message when it asks the provider for its status. */
export interface StatusQuery {
  /** The provider's id for the message, as `send` returned it. */
  providerMessageId: string;
  /** Our message id (providers that search by a value we sent, such as custom args). */
  messageId: string;
  /** When the provider accepted it (providers that search within a time window). */
  sentAt: Date;
}

export interface HealthStatus {
  ok: boolean;
  detail?: string | undefined;
}

export interface Provider<C extends Channel = Channel> {
  readonly specificationVersion: SpecificationVersion;
  /** The instance id from config (`twilio-zm`). */
  readonly id: string;
  /** The plugin's name (`@msg/plugin-twilio`). */
  readonly plugin: string;
  readonly channel: C;
  readonly capabilities: ProviderCapabilities;
  send(message: MessageFor<C>, options: SendOptions): Promise<SendResult>;
  sendBatch?(messages: readonly MessageFor<C>[], options: SendOptions): Promise<BatchItemResult[]>;
  /**
   * Whether the provider would accept the message, without delivering it (shadow mode compares a
   * new provider on live traffic this way, so that no recipient ever gets a message twice).
   * Resolves when it would be accepted; rejects with the `ProviderError` a send would have met.
   * Declared by `capabilities.validation`.
   */
  validate?(message: MessageFor<C>, options: SendOptions): Promise<ValidateResult>;
  /** Verifies the request (throws `WebhookVerificationError`) and returns normalised events. */
  parseWebhook?(request: WebhookRequest): Promise<WebhookResult>;
  health?(options: { signal: AbortSignal }): Promise<HealthStatus>;
  /**
   * The provider's current word on a sent message, as normalised delivery events (empty when it
   * has none yet), for providers with a status look-up (Twilio's message resource, Mailgun's
   * events). The host calls it for messages whose receipt is overdue (lost while the host was
   * down, say) and stores the events as if they had come by webhook. Same error rules as `send`;
   * a message the provider does not know is an empty list, not an error.
   */
  getStatus?(query: StatusQuery, options: SendOptions): Promise<DeliveryEvent[]>;
  /**
   * Delivery events that arrive over the provider's own connection (SMPP receipts) rather than
   * as webhooks. The host subscribes once after `create` and stores them like webhook events;
   * the returned function unsubscribes. A listener that throws never disturbs the provider.
   */
  onDeliveryEvent?(listener: (event: DeliveryEvent) => void): () => void;
  close(): Promise<void>;
}
