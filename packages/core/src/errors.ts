/**
 * Marker-based errors: `instanceof` fails when two copies of @msg/core are loaded (a plugin built
 * against another patch release), so every class carries a `Symbol.for` marker and a static
 * `isInstance` that checks it.
 */

const ERROR_MARKER = Symbol.for('msg.error');
const PROVIDER_ERROR_MARKER = Symbol.for('msg.error.provider');
const VALIDATION_ERROR_MARKER = Symbol.for('msg.error.validation');
const PLUGIN_ERROR_MARKER = Symbol.for('msg.error.plugin');
const WEBHOOK_ERROR_MARKER = Symbol.for('msg.error.webhook-verification');

function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

export interface MsgErrorOptions {
  cause?: unknown;
}

/** Base of every error @msg throws on purpose. `code` is stable and documented. */
export class MsgError extends Error {
  readonly [ERROR_MARKER] = true;
  readonly code: string;

  constructor(code: string, message: string, options: MsgErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MsgError';
    this.code = code;
  }

  static isInstance(error: unknown): error is MsgError {
    return hasMarker(error, ERROR_MARKER);
  }
}

/**
 * What the router needs to know about a failed send.
 * - `transient`: try again or elsewhere (5xx, network error before the request left).
 * - `rate-limited`: try again after `retryAfterMs`, or elsewhere.
 * - `permanent`: the message itself is bad (invalid number, opted out); failing over will not help.
 * - `configuration`: this provider instance is misconfigured (bad key, unverified sender).
 * - `ambiguous`: the request left and no answer came; it may have been delivered.
 */
export type ErrorKind = 'transient' | 'rate-limited' | 'permanent' | 'configuration' | 'ambiguous';

export const ERROR_KINDS: readonly ErrorKind[] = [
  'transient',
  'rate-limited',
  'permanent',
  'configuration',
  'ambiguous',
];

export interface ProviderErrorOptions extends MsgErrorOptions {
  kind: ErrorKind;
  /** The provider instance id (from config) that failed. */
  provider: string;
  message: string;
  /** The provider's own error code, as a string (`21211`, `Throttling`, `0x58`). */
  providerCode?: string | undefined;
  httpStatus?: number | undefined;
  /** For `rate-limited`: how long the provider asked us to wait. */
  retryAfterMs?: number | undefined;
}

export class ProviderError extends MsgError {
  readonly [PROVIDER_ERROR_MARKER] = true;
  readonly kind: ErrorKind;
  readonly provider: string;
  readonly providerCode: string | undefined;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(options: ProviderErrorOptions) {
    super(`MSG_ERR_PROVIDER_${options.kind.toUpperCase().replace('-', '_')}`, options.message, options);
    this.name = 'ProviderError';
    this.kind = options.kind;
    this.provider = options.provider;
    this.providerCode = options.providerCode;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Whether trying the same provider again may succeed. */
  get isRetryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate-limited';
  }

  static override isInstance(error: unknown): error is ProviderError {
    return hasMarker(error, PROVIDER_ERROR_MARKER);
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      kind: this.kind,
      provider: this.provider,
      providerCode: this.providerCode,
      httpStatus: this.httpStatus,
      retryAfterMs: this.retryAfterMs,
      message: this.message,
    };
  }
}

export interface ValidationIssue {
  /** Dotted path of the offending field (`to`, `attachments.0.filename`); empty for the whole value. */
  path: string;
  message: string;
}

/** Bad input: a malformed number, an empty body, an unknown field. */
export class ValidationError extends MsgError {
  readonly [VALIDATION_ERROR_MARKER] = true;
  readonly issues: readonly ValidationIssue[];

  constructor(
    issues: readonly ValidationIssue[],
    options: MsgErrorOptions & { code?: string; subject?: string } = {},
  ) {
    const subject = options.subject ? `${options.subject}: ` : '';
    const text = issues
      .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
      .join('; ');
    super(options.code ?? 'MSG_ERR_VALIDATION', `${subject}${text}`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }

  static override isInstance(error: unknown): error is ValidationError {
    return hasMarker(error, VALIDATION_ERROR_MARKER);
  }
}

export type PluginErrorCode =
  | 'MSG_ERR_PLUGIN_NOT_FOUND'
  | 'MSG_ERR_PLUGIN_INVALID'
  | 'MSG_ERR_PLUGIN_VERSION'
  | 'MSG_ERR_PLUGIN_OPTIONS'
  | 'MSG_ERR_PLUGIN_CREATE'
  | 'MSG_ERR_PLUGIN_SANDBOX';

/** A plugin could not be loaded: not installed, not a plugin, unsupported contract, bad options. */
export class PluginError extends MsgError {
  readonly [PLUGIN_ERROR_MARKER] = true;
  declare readonly code: PluginErrorCode;
  readonly plugin: string;
  readonly issues: readonly ValidationIssue[];

  constructor(
    code: PluginErrorCode,
    plugin: string,
    message: string,
    options: MsgErrorOptions & { issues?: readonly ValidationIssue[] } = {},
  ) {
    super(code, `[msg] [${plugin}] ${message}`, options);
    this.name = 'PluginError';
    this.plugin = plugin;
    this.issues = options.issues ?? [];
  }

  static override isInstance(error: unknown): error is PluginError {
    return hasMarker(error, PLUGIN_ERROR_MARKER);
  }
}

/** A webhook whose signature, token or timestamp did not check out. The host answers 401. */
export class WebhookVerificationError extends MsgError {
  readonly [WEBHOOK_ERROR_MARKER] = true;
  readonly provider: string;

  constructor(provider: string, message: string, options: MsgErrorOptions = {}) {
    super('MSG_ERR_WEBHOOK_VERIFICATION', `[msg] [${provider}] ${message}`, options);
    this.name = 'WebhookVerificationError';
    this.provider = provider;
  }

  static override isInstance(error: unknown): error is WebhookVerificationError {
    return hasMarker(error, WEBHOOK_ERROR_MARKER);
  }
}

/** The error a provider throws when the caller's signal aborted a request that had already left. */
export function abortedError(provider: string, signal: AbortSignal): ProviderError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new ProviderError({
    kind: 'ambiguous',
    provider,
    providerCode: 'MSG_ABORTED',
    message: `request aborted after it was sent (${reason}); it may have been delivered`,
    cause: signal.reason,
  });
}
