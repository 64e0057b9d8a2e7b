import {
  closedProviderError,
  type DeliveryEvent,
  type HealthStatus,
  type Logger,
  localValidation,
  networkError,
  type Provider,
  type ProviderCapabilities,
  ProviderError,
  type SenderType,
  type SendOptions,
  type SendResult,
  type SmsMessage,
  SPECIFICATION_VERSION,
  silentLogger,
  type ValidateResult,
} from '@msg/core';
import { encodeOrRefuse } from './smpp-encoding.js';
import { ReceiptTracker, type ReceiptTrackerOptions } from './smpp-receipt-tracker.js';
import { createSmppSession } from './smpp-session.js';
import type { SmppSessionOptions } from './smpp-session-options.js';

/** A provider over one SMPP session: `health` and `onDeliveryEvent` are always there. */
export type SmppProvider = Provider<'sms'> & Required<Pick<Provider<'sms'>, 'health' | 'onDeliveryEvent'>>;

export interface SmppProviderOptions {
  /** The instance id: `provider.id` and the `provider` of every ProviderError. */
  id: string;
  /** The plugin's package name: `provider.plugin`. */
  plugin: string;
  /** The bind and session settings (`registeredDelivery` 0 asks for no receipts). */
  session: Omit<SmppSessionOptions, 'providerId'>;
  /** Sender when a message names none; a message with neither fails `configuration`. */
  defaultSender?: string | undefined;
  /** `eager` binds in the background now (receipts of earlier sends keep coming); `lazy` (default) on the first send. */
  bind?: 'eager' | 'lazy';
  /** Sent messages remembered to reconcile their receipts (default 100 000; oldest forgotten first). */
  trackedMessages?: number;
  /** How long a receipt waits for its send() to return before it is reported on its own (default 2 s). */
  receiptHoldMs?: number;
  /** How receipt events are reported; see `ReceiptTrackerOptions`. */
  receiptEvents?: Pick<ReceiptTrackerOptions, 'reportSent' | 'partStatuses'>;
  senderTypes?: readonly SenderType[];
  logger?: Logger;
  now?: () => number;
}

/**
 * An SMS provider over one @msg/smpp session: `send` is one `submit()` (the first part's id is the
 * providerMessageId), receipts reach `onDeliveryEvent` listeners reconciled per message, `health`
 * reports the bind, `close` unbinds (once).
 */
export function createSmppProvider(options: SmppProviderOptions): SmppProvider {
  const { id } = options;
  const logger = options.logger ?? silentLogger;
  const session = createSmppSession({ ...options.session, providerId: id });
  const receiptsRequested = (options.session.registeredDelivery ?? 1) !== 0;
  const listeners = new Set<(event: DeliveryEvent) => void>();
  const tracker = new ReceiptTracker({
    ...options.receiptEvents,
    capacity: options.trackedMessages ?? 100_000,
    holdMs: options.receiptHoldMs ?? 2000,
    now: options.now ?? Date.now,
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          logger.error('delivery event listener failed', { provider: id, error: (error as Error).message });
        }
      }
    },
  });
  let lastBindError: string | undefined;
  session.onReceipt((receipt) => tracker.receive(receipt));
  session.on('bound', ({ bindType }) => {
    lastBindError = undefined;
    logger.info('SMPP bound', { provider: id, bindType });
  });
  session.on('unbound', ({ bindType, reason }) =>
    logger.warn('SMPP connection lost; rebinding', { provider: id, bindType, reason: reason.message }),
  );
  session.on('reconnecting', ({ error }) => {
    if (error) lastBindError = error.message;
  });
  session.on('throttled', ({ providerCode, delayMs }) =>
    logger.debug('SMSC throttled; pausing submits', { provider: id, providerCode, delayMs }),
  );

  const bind = (): Promise<void> =>
    session.connect().catch((error: unknown) => {
      lastBindError = (error as Error).message;
      throw error;
    });
  if (options.bind === 'eager') {
    bind().catch((error: unknown) =>
      logger.warn('SMPP bind failed; the next send binds again', {
        provider: id,
        error: (error as Error).message,
      }),
    );
  }
  let closing: Promise<void> | undefined;
  const capabilities: ProviderCapabilities = {
    maxBatchSize: 1,
    unicode: true,
    deliveryReceipts: receiptsRequested,
    senderTypes: options.senderTypes ?? ['alphanumeric', 'numeric', 'short-code'],
    // SMPP has no test mode: a submit_sm the SMSC accepted is on its way.
    validation: 'local',
  };

  return {
    specificationVersion: SPECIFICATION_VERSION,
    id,
    plugin: options.plugin,
    channel: 'sms',
    capabilities,

    /** What a send refuses before the submit (no sender, too many parts), then core's checks; no bind. */
    async validate(message: SmsMessage, sendOptions: SendOptions): Promise<ValidateResult> {
      sendOptions.signal.throwIfAborted();
      if (closing) throw closedProviderError(id);
      if (!(message.from ?? options.defaultSender)) throw missingSenderError(id);
      const concatenation = options.session.concatenation ?? 'udh';
      const referenceBits = options.session.referenceBits ?? 8;
      encodeOrRefuse(message.text, { concatenation, referenceBits, reference: () => 0 }, id);
      return localValidation(message, capabilities, id, { defaultSender: options.defaultSender });
    },

    async send(message: SmsMessage, sendOptions: SendOptions): Promise<SendResult> {
      const from = message.from ?? options.defaultSender;
      if (!from) throw missingSenderError(id);
      try {
        const result = await session.submit(
          { to: message.to, from, text: message.text },
          { signal: sendOptions.signal },
        );
        if (receiptsRequested) tracker.track(result.messageIds, message.id, message.to);
        return {
          providerMessageId: result.messageIds[0] as string,
          status: 'sent',
          segments: result.segments,
          details: {
            messageIds: result.messageIds.join(','),
            segments: String(result.segments),
            encoding: result.encoding,
          },
        };
      } catch (error) {
        // The session rejects with ProviderErrors already; anything else is a bug we still classify.
        throw networkError(error, id, sendOptions.signal);
      }
    },

    onDeliveryEvent(listener: (event: DeliveryEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async health({ signal }: { signal: AbortSignal }): Promise<HealthStatus> {
      const state = session.state;
      if (state === 'bound') return { ok: true, detail: boundDetail(session) };
      if (state === 'idle') {
        // Never bound or the first bind failed: a probe tries again, bounded by the caller's signal.
        try {
          await raceSignal(bind(), signal);
          return { ok: true, detail: boundDetail(session) };
        } catch (error) {
          return { ok: false, detail: `not bound: ${networkError(error, id, signal).message}` };
        }
      }
      return { ok: false, detail: lastBindError ? `${state}: ${lastBindError}` : state };
    },

    close(): Promise<void> {
      // Held receipts are reported before the listeners go.
      closing ??= session.close().finally(() => {
        tracker.flush();
        listeners.clear();
      });
      return closing;
    },
  };
}

/** `bound`, with the load when anything waits. */
function boundDetail(session: { inFlightCount: number; queuedCount: number }): string {
  const { inFlightCount, queuedCount } = session;
  if (inFlightCount === 0 && queuedCount === 0) return 'bound';
  return `bound; ${inFlightCount} in flight, ${queuedCount} queued`;
}

function missingSenderError(provider: string): ProviderError {
  return new ProviderError({
    kind: 'configuration',
    provider,
    providerCode: 'MISSING_SENDER',
    message: 'the message names no sender and the instance has no default sender',
  });
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
