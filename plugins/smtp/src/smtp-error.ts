import { abortedError, type ErrorKind, ProviderError } from '@msg/core';

/** What nodemailer puts on the errors it rejects with (`NodemailerError` in its `errors.d.ts`). */
export interface SmtpFailure {
  code?: string | undefined;
  message?: string | undefined;
  responseCode?: number | undefined;
  response?: string | undefined;
  command?: string | undefined;
  timeoutType?: string | undefined;
  originalCode?: string | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Kind of a reply by its enhanced status code (RFC 3463), which says what the reply code alone
 * cannot: `550 5.4.5` is a sending quota, not a bad recipient; `552 5.2.2` a full mailbox (try
 * later), `552 5.3.4` a message too big. Gmail's wording: support.google.com/a/answer/3726730.
 */
export const SMTP_ENHANCED_STATUS_KINDS: Readonly<Record<string, ErrorKind>> = {
  // Unusual rate / unsolicited mail from this IP (421), too many logins (454): slow down.
  '4.7.0': 'rate-limited',
  '4.7.28': 'rate-limited',
  // This recipient is receiving mail too fast.
  '4.2.1': 'rate-limited',
  // Daily sending quota: the account cannot send for up to 24 h.
  '5.4.5': 'rate-limited',
  '4.2.2': 'transient',
  '4.3.0': 'transient',
  '4.3.1': 'transient',
  '4.4.2': 'transient',
  '4.4.5': 'transient',
  '4.5.0': 'transient',
  // Too many recipients in one transaction: our batching is wrong, so the same send fails again.
  '4.5.3': 'permanent',
  '5.5.1': 'transient',
  '5.2.2': 'transient',
  '5.1.0': 'permanent',
  '5.1.1': 'permanent',
  '5.1.2': 'permanent',
  '5.1.3': 'permanent',
  '5.1.6': 'permanent',
  '5.1.10': 'permanent',
  '5.2.1': 'permanent',
  '5.2.3': 'permanent',
  '5.3.4': 'permanent',
  '5.6.0': 'permanent',
  // Authentication required / credentials invalid / policy (SPF, DKIM, DMARC, relaying denied).
  '5.7.0': 'configuration',
  '5.7.1': 'configuration',
  '5.7.8': 'configuration',
  '5.7.9': 'configuration',
  '5.7.14': 'configuration',
  '5.7.26': 'configuration',
  '5.7.27': 'configuration',
};

/** Kind of a reply that carries no enhanced code (or one the table above does not know). */
function kindOfReplyCode(code: number): ErrorKind {
  if (code === 530 || code === 535 || code === 538) return 'configuration';
  if (code === 454) return 'rate-limited';
  // RFC 5321: 552 is "exceeded storage allocation" (try later); 503 a bad sequence of commands.
  if (code === 552 || code === 503) return 'transient';
  if (code >= 400 && code < 500) return 'transient';
  return 'permanent';
}

/** The enhanced status code (`5.1.1`) at the start of an SMTP reply, when there is one. */
export function enhancedStatusOf(response: string | undefined): string | undefined {
  if (!response) return undefined;
  return /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(response.trim())?.[1];
}

/** Kind of an SMTP reply, enhanced code first. */
export function classifyReply(responseCode: number, response: string | undefined): ErrorKind {
  const enhanced = enhancedStatusOf(response);
  const known = enhanced ? SMTP_ENHANCED_STATUS_KINDS[enhanced] : undefined;
  if (known) return known;
  if (enhanced?.startsWith('5.7.')) return 'configuration';
  return kindOfReplyCode(responseCode);
}

/** `550 5.1.1`, or `550` when the reply has no enhanced code. */
export function replyCode(responseCode: number, response: string | undefined): string {
  const enhanced = enhancedStatusOf(response);
  return enhanced ? `${responseCode} ${enhanced}` : String(responseCode);
}

/** Nodemailer codes that say the instance's settings are wrong, whatever the message. */
const CONFIGURATION_CODES = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ETLS',
  'EREQUIRETLS',
  'ECONFIG',
  'EPROXY',
]);
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|ERR_TLS_|ERR_SSL_|UNABLE_TO_VERIFY/;
/** Nodemailer codes that refuse this message before anything is sent. */
const MESSAGE_CODES = new Set(['EMAXRECIPIENTS', 'ESTREAM', 'EFILEACCESS', 'EURLACCESS', 'EENVELOPE']);

export interface ErrorContext {
  provider: string;
  signal: AbortSignal;
  /** Whether the message data had started to go out (the server may have it). */
  dataSent: boolean;
}

function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Turns what nodemailer rejects with into a `ProviderError`; no raw error escapes. */
export function toProviderError(error: unknown, context: ErrorContext): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as SmtpFailure;
  const prefix = '[msg] [plugin-smtp]';
  // The router times out on its own clock; an aborted send may have gone out (nodemailer cannot
  // say how far a pooled connection got), so it is reported as ambiguous like other plugins do.
  if (context.signal.aborted) return abortedError(context.provider, context.signal);
  // A relay that refuses STARTTLS answers with a reply code, but the fix is in our settings.
  const tlsRefused = failure.code === 'ETLS' || failure.code === 'EREQUIRETLS';
  if (!tlsRefused && typeof failure.responseCode === 'number' && failure.responseCode >= 400) {
    const kind = classifyReply(failure.responseCode, failure.response);
    const code = replyCode(failure.responseCode, failure.response);
    return new ProviderError({
      kind,
      provider: context.provider,
      providerCode: code,
      retryAfterMs: enhancedStatusOf(failure.response) === '5.4.5' ? DAY_MS : undefined,
      message: `${prefix} the server refused ${failure.command ?? 'the message'}: ${oneLine(failure.response)}`,
      cause: error,
    });
  }
  const code = failure.code ?? 'ESMTP';
  const detail = oneLine(failure.message ?? String(error));
  // A certificate the relay presents that we do not trust comes back as a socket error.
  if (failure.originalCode && CERTIFICATE_CODE.test(failure.originalCode)) {
    return new ProviderError({
      kind: 'configuration',
      provider: context.provider,
      providerCode: failure.originalCode,
      message: `${prefix} the relay's TLS certificate is not trusted (set tlsCa or tlsServername): ${detail}`,
      cause: error,
    });
  }
  if (CONFIGURATION_CODES.has(code)) {
    return new ProviderError({
      kind: 'configuration',
      provider: context.provider,
      providerCode: code,
      message: `${prefix} ${detail}`,
      cause: error,
    });
  }
  if (MESSAGE_CODES.has(code)) {
    return new ProviderError({
      kind: 'permanent',
      provider: context.provider,
      providerCode: code,
      message: `${prefix} the message cannot be sent: ${detail}`,
      cause: error,
    });
  }
  const timeout = failure.timeoutType ? ` (${failure.timeoutType})` : '';
  if (context.dataSent) {
    // A drop or a silence after the data went out looks the same as one before MAIL FROM to
    // nodemailer: only our own flag tells that the server may have taken the message.
    return new ProviderError({
      kind: 'ambiguous',
      provider: context.provider,
      providerCode: code,
      message: `${prefix} connection lost after the message data was sent${timeout}: ${detail}; it may have been delivered`,
      cause: error,
    });
  }
  return new ProviderError({
    kind: 'transient',
    provider: context.provider,
    providerCode: code,
    message: `${prefix} ${detail}${timeout}; the message data was not sent`,
    cause: error,
  });
}
