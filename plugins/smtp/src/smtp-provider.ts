import {
  assertEncodableText,
  type DeliveryEvent,
  type EmailMessage,
  emailRecipients,
  type HealthStatus,
  type Logger,
  localValidation,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  type SendOptions,
  type SendResult,
  SPECIFICATION_VERSION,
  silentLogger,
  urlTokenGuard,
  type ValidateResult,
  type WebhookRequest,
  type WebhookResult,
} from '@msg/core';
import nodemailer from 'nodemailer';
import type { SMTPPoolOptions, SMTPPoolSentMessageInfo } from 'nodemailer/lib/smtp-pool';
import { enhancedStatusOf, replyCode, type SmtpFailure, toProviderError } from './smtp-error.js';
import { type MessageSettings, messageIdFor, reservedHeaders, toMailOptions } from './smtp-message.js';
import { bounceEvents } from './smtp-webhook.js';

const PLUGIN = '@msg/plugin-smtp';

const CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: 1,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['email'],
  attachments: true,
  // SMTP has no test mode: a relay that took the DATA has taken the message.
  validation: 'local',
};

/** How the connection is secured: implicit TLS (465), STARTTLS required (587), or neither. */
export type SmtpTlsMode = 'implicit' | 'starttls' | 'opportunistic' | 'none';

export interface SmtpProviderSettings extends MessageSettings {
  host: string;
  port: number;
  tls: SmtpTlsMode;
  /** PEM certificate(s) to trust besides the system's (a private relay, the simulator). */
  tlsCa?: string | undefined;
  tlsServername?: string | undefined;
  tlsRejectUnauthorized: boolean;
  username?: string | undefined;
  password?: string | undefined;
  authMethod?: 'PLAIN' | 'LOGIN' | undefined;
  /** Name sent with EHLO. */
  clientName?: string | undefined;
  maxConnections: number;
  maxMessagesPerConnection: number;
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
  /** Most recipients (to + cc + bcc) one message may have. */
  maxRecipients: number;
  /** Secret the DSN hook's URL must carry (`?token=`). */
  webhookToken?: string | undefined;
  allowedIps?: readonly string[] | undefined;
  logger?: Logger;
  now?: () => number;
}

/** Per-send state that nodemailer carries from `sendMail` to the stream plugin below. */
const SEND_STATE = 'msgSendState';
interface SendState {
  dataSent: boolean;
}

type Listener = (event: DeliveryEvent) => void;

function transportOptions(settings: SmtpProviderSettings): SMTPPoolOptions {
  return {
    pool: true,
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'implicit',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    opportunisticTLS: settings.tls === 'opportunistic',
    tls: {
      ...(settings.tlsCa && { ca: settings.tlsCa }),
      ...(settings.tlsServername && { servername: settings.tlsServername }),
      rejectUnauthorized: settings.tlsRejectUnauthorized,
    },
    ...(settings.username !== undefined && {
      auth: { user: settings.username, pass: settings.password ?? '' },
    }),
    ...(settings.authMethod && { authMethod: settings.authMethod }),
    ...(settings.clientName && { name: settings.clientName }),
    maxConnections: settings.maxConnections,
    maxMessages: settings.maxMessagesPerConnection,
    // A message whose connection closed is not sent again behind the router's back.
    maxRequeues: 0,
    connectionTimeout: settings.connectionTimeoutMs,
    greetingTimeout: settings.greetingTimeoutMs,
    socketTimeout: settings.socketTimeoutMs,
    // close() destroys sockets at once rather than waiting for the server to hang up.
    socketCloseTimeout: 0,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  };
}

/** An SMTP email provider: one pooled nodemailer transport per instance. */
export function createSmtpProvider(id: string, settings: SmtpProviderSettings): Provider<'email'> {
  const now = settings.now ?? Date.now;
  const logger = settings.logger ?? silentLogger;
  const mailer = nodemailer.createTransport(transportOptions(settings));
  // Tells when the message data starts to go out: after that a lost connection is ambiguous.
  mailer.use('stream', (mail, done) => {
    const state = (mail.data as Record<string, unknown>)[SEND_STATE] as SendState | undefined;
    if (state) {
      mail.message.processFunc((input) => {
        input.once('resume', () => {
          state.dataSent = true;
        });
        return input;
      });
    }
    done();
  });
  const guard = urlTokenGuard({
    provider: id,
    token: settings.webhookToken,
    allowedIps: settings.allowedIps,
  });
  const listeners = new Set<Listener>();
  let closed = false;

  const refuse = (message: EmailMessage, code: string, reason: string) =>
    new ProviderError({
      kind: 'permanent',
      provider: id,
      providerCode: code,
      message: `[msg] [plugin-smtp] message ${message.id}: ${reason}`,
    });

  const emit = (event: DeliveryEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.warn('smtp delivery listener failed', { provider: id, error: (error as Error).message });
      }
    }
  };

  /** Recipients the server refused while others were accepted: one failed event each. */
  const reportRejected = (message: EmailMessage, messageId: string, info: SMTPPoolSentMessageInfo) => {
    const details: Record<string, string> = {};
    const rejected = (info.rejectedErrors ?? []) as SmtpFailure[];
    for (const [index, failure] of rejected.entries()) {
      const recipient = (failure as { recipient?: string }).recipient ?? info.rejected[index] ?? '';
      const code = failure.responseCode
        ? replyCode(failure.responseCode, failure.response)
        : (failure.code ?? 'rejected');
      details[`rejected.${recipient}`] = (failure.response ?? code).slice(0, 300);
      emit({
        providerMessageId: messageId,
        messageId: message.id,
        status: 'failed',
        providerStatus: 'rejected',
        occurredAt: new Date(now()),
        recipient,
        eventId: `${message.id}:${recipient}:rejected`,
        error: { code: enhancedStatusOf(failure.response) ?? code, message: failure.response },
      });
    }
    return details;
  };

  const assertOpen = (signal: AbortSignal) => {
    signal.throwIfAborted();
    if (closed) {
      throw new ProviderError({
        kind: 'configuration',
        provider: id,
        providerCode: 'MSG_CLOSED',
        message: `[msg] [plugin-smtp] provider "${id}" is closed`,
      });
    }
  };

  /** What the plugin refuses before it connects: text, reserved headers, too many recipients. */
  const check = (message: EmailMessage) => {
    assertEncodableText(id, { subject: message.subject, text: message.text, html: message.html });
    const reserved = reservedHeaders(message);
    if (reserved.length > 0) {
      throw refuse(message, 'MSG_RESERVED_HEADER', `headers ${reserved.join(', ')} are set by the plugin`);
    }
    const recipients = emailRecipients(message).length;
    if (recipients > settings.maxRecipients) {
      throw refuse(
        message,
        'MSG_TOO_MANY_RECIPIENTS',
        `to, cc and bcc hold ${recipients} recipients; the relay takes ${settings.maxRecipients} per message (maxRecipients)`,
      );
    }
  };

  const send = async (message: EmailMessage, options: SendOptions): Promise<SendResult> => {
    assertOpen(options.signal);
    check(message);
    const state: SendState = { dataSent: false };
    const mailOptions = { ...toMailOptions(message, settings), signal: options.signal, [SEND_STATE]: state };
    let info: SMTPPoolSentMessageInfo;
    try {
      info = (await mailer.sendMail(mailOptions)) as SMTPPoolSentMessageInfo;
    } catch (error) {
      throw toProviderError(error, { provider: id, signal: options.signal, dataSent: state.dataSent });
    }
    const messageId = messageIdFor(message, settings.messageIdDomain);
    const details: Record<string, string> = { response: info.response.slice(0, 300) };
    if (info.rejected.length > 0) {
      details.accepted = info.accepted.join(', ');
      details.rejected = info.rejected.join(', ');
      Object.assign(details, reportRejected(message, messageId, info));
    }
    return { providerMessageId: messageId, status: 'sent', details };
  };

  /** The send's own checks and the message built, then core's checks; no connection is made. */
  const validate = async (message: EmailMessage, options: SendOptions): Promise<ValidateResult> => {
    assertOpen(options.signal);
    check(message);
    toMailOptions(message, settings);
    return localValidation(message, CAPABILITIES, id);
  };

  /** Takes DSN and bounce mails (the raw RFC 5322 message as the body) from an MTA hook. */
  const parseWebhook = async (request: WebhookRequest): Promise<WebhookResult> => {
    guard(request);
    return { events: bounceEvents(request.rawBody, now()) };
  };

  /** Connects, says EHLO, upgrades to TLS and authenticates on a connection of its own. */
  const health = async (options: { signal: AbortSignal }): Promise<HealthStatus> => {
    if (closed) return { ok: false, detail: 'closed' };
    let stop: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      stop = () => reject(options.signal.reason);
      if (options.signal.aborted) stop();
      else options.signal.addEventListener('abort', stop, { once: true });
    });
    // verify() takes no signal: the race gives up on it, the check's own connection ends by itself.
    aborted.catch(() => undefined);
    try {
      await Promise.race([mailer.verify(), aborted]);
      return { ok: true };
    } catch (error) {
      const failure = toProviderError(error, { provider: id, signal: options.signal, dataSent: false });
      return { ok: false, detail: failure.message };
    } finally {
      if (stop) options.signal.removeEventListener('abort', stop);
    }
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: PLUGIN,
    channel: 'email',
    capabilities: CAPABILITIES,
    send,
    validate,
    parseWebhook,
    health,
    onDeliveryEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      mailer.close({ force: true });
    },
  };
}
