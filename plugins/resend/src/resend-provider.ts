import {
  abortedError,
  assertEncodableText,
  type BatchItemResult,
  type EmailMessage,
  type HealthStatus,
  type Logger,
  localValidation,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  pluginException,
  type SendOptions,
  type SendResult,
  SPECIFICATION_VERSION,
  silentLogger,
  type ValidateResult,
  type WebhookRequest,
  type WebhookResult,
} from '@msg/core';
import { type CreateEmailOptions, Resend } from 'resend';
import type { ResendErrorBody } from './resend-api-types.js';
import { toProviderError } from './resend-error.js';
import { batchIdempotencyKey, idempotencyKeyFor, MAX_BATCH, MAX_TO, toEmailInput } from './resend-request.js';
import { secretKey } from './resend-signature.js';
import { CallState, ResendTransport } from './resend-transport.js';
import { parseWebhookBody, verifyResendWebhook, webhookEventId } from './resend-webhook.js';

export const RESEND_BASE_URL = 'https://api.resend.com';
const PLUGIN = '@msg/plugin-resend';

const CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: MAX_BATCH,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['email'],
  attachments: true,
  // Resend has no test mode: its test addresses (delivered@resend.dev) change the recipient.
  validation: 'local',
};

export interface ResendProviderSettings {
  apiKey: string;
  baseUrl: string;
  /** `whsec_` signing secret(s) of the Resend webhook; two while rotating. */
  webhookSecrets: readonly string[];
  webhookToleranceSeconds: number;
  /** `strict`: one invalid email fails the whole batch call; `permissive`: only that email fails. */
  batchValidation: 'strict' | 'permissive';
  maxConnections: number;
  logger?: Logger;
  now?: () => number;
}

/** What an SDK call resolves to (`{ data, error, headers }`; it never throws on an HTTP error). */
interface SdkAnswer<T> {
  data: T | null;
  error: ResendErrorBody | null;
  headers: Record<string, string> | null;
}

/** Rate-limit headers worth keeping on a result. */
function rateDetails(headers: Record<string, string> | null): Record<string, string> | undefined {
  const remaining = headers?.['ratelimit-remaining'];
  return remaining === undefined ? undefined : { ratelimitRemaining: remaining };
}

/** A Resend email provider: one SDK client and one undici pool per instance. */
export function createResendProvider(id: string, settings: ResendProviderSettings): Provider<'email'> {
  const now = settings.now ?? Date.now;
  const logger = settings.logger ?? silentLogger;
  const baseUrl = settings.baseUrl.replace(/\/+$/, '');
  const resend = new Resend(settings.apiKey, { baseUrl });
  const transport = new ResendTransport(new URL(baseUrl).origin, settings.maxConnections);
  const keys = settings.webhookSecrets.map(secretKey);
  let closed = false;

  const refuse = (message: EmailMessage, code: string, reason: string) =>
    new ProviderError({
      kind: 'permanent',
      provider: id,
      providerCode: code,
      message: `[msg] [plugin-resend] message ${message.id}: ${reason}`,
    });

  const check = (message: EmailMessage) => {
    assertEncodableText(id, { subject: message.subject, text: message.text, html: message.html });
    if (message.to.length > MAX_TO) {
      throw refuse(
        message,
        'MSG_TOO_MANY_RECIPIENTS',
        `to holds ${message.to.length} addresses; Resend takes ${MAX_TO}`,
      );
    }
  };

  const assertOpen = () => {
    if (closed) {
      throw new ProviderError({
        kind: 'configuration',
        provider: id,
        providerCode: 'MSG_CLOSED',
        message: `[msg] [plugin-resend] provider "${id}" is closed`,
      });
    }
  };

  /** Runs one SDK call on this instance's pool; turns an `error` into a `ProviderError`. */
  const call = async <T>(
    signal: AbortSignal,
    invoke: (options: { signal: AbortSignal; dispatcher: unknown }) => Promise<SdkAnswer<T>>,
  ): Promise<{ data: T; headers: Record<string, string> | null }> => {
    const state = new CallState();
    let answer: SdkAnswer<T>;
    try {
      answer = await invoke({ signal, dispatcher: transport.dispatcherFor(state) });
    } catch (error) {
      // The SDK resolves `{ error }` for every failure it knows; should it ever throw (input it
      // cannot turn into a request), no raw error escapes.
      if (signal.aborted) throw abortedError(id, signal);
      if (!state.sent) throw pluginException(error, id);
      throw new ProviderError({
        kind: 'ambiguous',
        provider: id,
        providerCode: 'SDK_ERROR',
        message: `[msg] [plugin-resend] the resend SDK failed after the request left: ${(error as Error)?.message ?? String(error)}`,
        cause: error,
      });
    }
    if (answer.error) {
      throw toProviderError(answer.error, {
        provider: id,
        signal,
        state,
        headers: answer.headers,
        now: now(),
      });
    }
    return { data: answer.data as T, headers: answer.headers };
  };

  const noId = () =>
    new ProviderError({
      kind: 'ambiguous',
      provider: id,
      providerCode: 'MSG_NO_ID',
      message:
        '[msg] [plugin-resend] Resend answered 2xx without an email id; the email may have been accepted',
    });

  const send = async (message: EmailMessage, options: SendOptions): Promise<SendResult> => {
    options.signal.throwIfAborted();
    assertOpen();
    check(message);
    const { data, headers } = await call(options.signal, (request) =>
      resend.emails.send(
        toEmailInput(message) as CreateEmailOptions,
        {
          ...request,
          idempotencyKey: idempotencyKeyFor(message),
        } as never,
      ),
    );
    if (typeof data?.id !== 'string' || !data.id) throw noId();
    return { providerMessageId: data.id, status: 'queued', details: rateDetails(headers) };
  };

  /** Resend's own limits and the request built as for a send, then core's checks; no request. */
  const validate = async (message: EmailMessage, options: SendOptions): Promise<ValidateResult> => {
    options.signal.throwIfAborted();
    assertOpen();
    check(message);
    toEmailInput(message);
    return localValidation(message, CAPABILITIES, id);
  };

  /** One `POST /emails/batch` for up to 100 messages without attachments. */
  const sendChunk = async (
    chunk: readonly EmailMessage[],
    signal: AbortSignal,
  ): Promise<BatchItemResult[]> => {
    try {
      const { data, headers } = await call(signal, (request) =>
        resend.batch.send(
          chunk.map((message) => toEmailInput(message) as CreateEmailOptions),
          {
            ...request,
            idempotencyKey: batchIdempotencyKey(chunk),
            batchValidation: settings.batchValidation,
          } as never,
        ),
      );
      const answer = data as {
        data?: Array<{ id?: string }>;
        errors?: Array<{ index: number; message: string }>;
      };
      const failed = new Map((answer.errors ?? []).map((entry) => [entry.index, entry.message]));
      const ids = [...(answer.data ?? [])];
      return chunk.map((message, index): BatchItemResult => {
        const reason = failed.get(index);
        if (reason !== undefined) {
          return { messageId: message.id, ok: false, error: refuse(message, 'validation_error', reason) };
        }
        const providerMessageId = ids.shift()?.id;
        if (!providerMessageId) return { messageId: message.id, ok: false, error: noId() };
        return {
          messageId: message.id,
          ok: true,
          result: { providerMessageId, status: 'queued', details: rateDetails(headers) },
        };
      });
    } catch (error) {
      const failure = ProviderError.isInstance(error) ? error : noId();
      return chunk.map((message) => ({ messageId: message.id, ok: false, error: failure }));
    }
  };

  /**
   * Up to 100 messages per `POST /emails/batch`, each chunk with its own Idempotency-Key. The
   * batch endpoint takes no attachments: those messages go out one by one.
   */
  const sendBatch = async (
    messages: readonly EmailMessage[],
    options: SendOptions,
  ): Promise<BatchItemResult[]> => {
    options.signal.throwIfAborted();
    assertOpen();
    const results = new Array<BatchItemResult>(messages.length);
    const batchable: number[] = [];
    const single: number[] = [];
    messages.forEach((message, index) => {
      try {
        check(message);
      } catch (error) {
        results[index] = { messageId: message.id, ok: false, error: error as ProviderError };
        return;
      }
      (message.attachments?.length ? single : batchable).push(index);
    });
    const chunks: number[][] = [];
    for (let start = 0; start < batchable.length; start += MAX_BATCH)
      chunks.push(batchable.slice(start, start + MAX_BATCH));
    logger.debug('resend batch planned', {
      messages: messages.length,
      requests: chunks.length + single.length,
    });
    await Promise.all([
      ...chunks.map(async (indexes) => {
        const outcome = await sendChunk(
          indexes.map((index) => messages[index] as EmailMessage),
          options.signal,
        );
        indexes.forEach((index, position) => {
          results[index] = outcome[position] as BatchItemResult;
        });
      }),
      ...single.map(async (index) => {
        const message = messages[index] as EmailMessage;
        try {
          results[index] = { messageId: message.id, ok: true, result: await send(message, options) };
        } catch (error) {
          results[index] = { messageId: message.id, ok: false, error: error as ProviderError };
        }
      }),
    ]);
    return results;
  };

  const parseWebhook = async (request: WebhookRequest): Promise<WebhookResult> => {
    verifyResendWebhook(id, request, { keys, toleranceSeconds: settings.webhookToleranceSeconds, now });
    return { events: parseWebhookBody(request.rawBody, webhookEventId(request), now()) };
  };

  /** `GET /domains`: the key works. A sending-only key answers `restricted_api_key`, which is fine. */
  const health = async (options: { signal: AbortSignal }): Promise<HealthStatus> => {
    if (closed) return { ok: false, detail: 'closed' };
    try {
      await call(
        options.signal,
        (request) => resend.domains.list(request as never) as Promise<SdkAnswer<unknown>>,
      );
      return { ok: true };
    } catch (error) {
      if (ProviderError.isInstance(error) && error.providerCode === 'restricted_api_key') return { ok: true };
      return { ok: false, detail: (error as Error).message };
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
    sendBatch,
    parseWebhook,
    health,
    async close() {
      if (closed) return;
      closed = true;
      await transport.close();
    },
  };
}
