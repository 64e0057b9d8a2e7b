import type { ConnectionOptions } from 'node:tls';
import type { ConcatenationMode } from './smpp-encoding.js';
import type { MessageIdFormat } from './smpp-message-id.js';

export type BindType = 'transceiver' | 'transmitter' | 'receiver';

export interface ReconnectOptions {
  /** First delay after a drop (default 500 ms); doubles per failed attempt. */
  initialDelayMs?: number;
  /** Ceiling of the delay (default 30 s). */
  maxDelayMs?: number;
}

/** One transceiver bind, or a transmitter for submits plus a receiver for receipts. */
export type BindMode = 'transceiver' | 'transmitter-receiver';

export interface AddressType {
  /** Type of number: 0 unknown, 1 international, 3 network specific, 5 alphanumeric. */
  ton: number;
  /** Numbering plan: 0 unknown, 1 ISDN/E.164. */
  npi: number;
}

export interface ThrottleRetryOptions {
  /** Re-submits of one part after ESME_RTHROTTLED / ESME_RMSGQFUL before the caller sees rate-limited (default 5). */
  maxRetries?: number;
  /** The whole session pauses this long after the first throttle (default 250 ms), doubling while it persists. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface SmppSessionOptions {
  host: string;
  /** Default 2775. */
  port?: number;
  /** TLS (SMPP over TLS, usually port 3550): `true` or node:tls connect options. */
  tls?: boolean | ConnectionOptions;
  systemId: string;
  password: string;
  systemType?: string;
  /** address_range of the bind (which MO/receipt addresses this ESME serves); default empty. */
  addressRange?: string;
  addressTon?: number;
  addressNpi?: number;
  /** Default `transceiver`. */
  bindMode?: BindMode;
  /** The `provider` of every ProviderError (the plugin instance id); default `smpp`. */
  providerId?: string;
  /** submit_sm PDUs awaiting their response at once (default 10). */
  windowSize?: number;
  /** How long a request waits for its response (default 10 s); then it fails as ambiguous. */
  responseTimeoutMs?: number;
  /** TCP connect and bind response timeout (default 10 s). */
  connectTimeoutMs?: number;
  /** enquire_link after this long without traffic (default 30 s; 0 turns it off). */
  enquireLinkIntervalMs?: number;
  /** How long a part may wait unsent (window, rate limit, rebind) before failing transient (default 30 s). */
  queueTimeoutMs?: number;
  /** Rebind after a drop (default on); `false` leaves the session idle until the next submit or connect(). */
  reconnect?: ReconnectOptions | false;
  /** Throughput ceiling the SMSC contract allows, in submit_sm per second; unlimited by default. */
  messagesPerSecond?: number;
  /** Token bucket size: how many submits may go at once after a quiet spell (default rate/10, at least 1). */
  burst?: number;
  throttleRetry?: ThrottleRetryOptions;
  /** How a long message is carried (default `udh`). */
  concatenation?: ConcatenationMode;
  /** Concatenation reference size (default 8; 16 costs one character per part). */
  referenceBits?: 8 | 16;
  /** registered_delivery when the message does not say (default 1: final receipt). */
  registeredDelivery?: number;
  serviceType?: string;
  /** TON/NPI of the sender; by default derived from its form (alphanumeric, +international, short code). */
  sourceAddressType?: AddressType;
  /** TON/NPI of the recipient; default international/E.164 (1/1). */
  destinationAddressType?: AddressType;
  /** How this SMSC writes message ids in submit_sm_resp and in receipts (default `auto`). */
  messageIdFormat?: { submit?: MessageIdFormat; receipt?: MessageIdFormat };
  /** close(): longest wait for in-flight submits and unbind_resp (default 5 s). */
  closeTimeoutMs?: number;
}

export const SESSION_DEFAULTS = {
  port: 2775,
  windowSize: 10,
  responseTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  enquireLinkIntervalMs: 30_000,
  queueTimeoutMs: 30_000,
  closeTimeoutMs: 5_000,
  reconnect: { initialDelayMs: 500, maxDelayMs: 30_000 },
  throttleRetry: { maxRetries: 5, initialDelayMs: 250, maxDelayMs: 10_000 },
} as const;

/** TON/NPI for a sender: alphanumeric 5/0, `+` or long numbers international 1/1, short codes 3/0. */
export function sourceAddressType(address: string): AddressType {
  if (/[^+\d]/.test(address)) return { ton: 5, npi: 0 };
  if (address.startsWith('+') || address.length > 8) return { ton: 1, npi: 1 };
  return { ton: 3, npi: 0 };
}

/** SMPP addresses carry no `+`: the TON says the number is international. */
export function stripPlus(address: string): string {
  return address.startsWith('+') ? address.slice(1) : address;
}
