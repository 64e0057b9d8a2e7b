/// <reference path="./smpp-module.d.ts" />
import { abortedError, isFinalStatus, ProviderError, type SmsEncoding } from '@msg/core';
import type { PDU } from 'smpp';
import { BindSupervisor } from './smpp-bind.js';
import { commandStatusError, formatCommandStatus } from './smpp-command-status.js';
import { ConcatenationReferences, type EncodedPart, encodeOrRefuse } from './smpp-encoding.js';
import {
  type InboundMessage,
  SessionEmitter,
  type SmppSessionEvent,
  type SmppSessionEvents,
} from './smpp-events.js';
import type { SmppLink } from './smpp-link.js';
import { MessageIdIndex } from './smpp-message-id.js';
import { TokenBucket } from './smpp-rate-limiter.js';
import { type DeliveryReceipt, isReceipt, parseDeliveryReceipt } from './smpp-receipt.js';
import {
  SESSION_DEFAULTS,
  type SmppSessionOptions,
  sourceAddressType,
  stripPlus,
} from './smpp-session-options.js';

export type SmppSessionState = 'idle' | 'connecting' | 'bound' | 'reconnecting' | 'closing' | 'closed';

export interface SmppSubmitMessage {
  /** Recipient, E.164 with or without `+`. */
  to: string;
  /** Sender id: alphanumeric, short code or number. */
  from: string;
  text: string;
  /** registered_delivery: `true` = 1 (final receipt), `false` = 0, or the raw flag. */
  registeredDelivery?: boolean | number;
}

export interface SmppSubmitOptions {
  signal?: AbortSignal;
}

export interface SmppSubmitResult {
  /** submit_sm_resp message_id of every part, in part order. */
  messageIds: string[];
  segments: number;
  encoding: SmsEncoding;
}

type ParsedReceipt = NonNullable<ReturnType<typeof parseDeliveryReceipt>>;
interface HeldReceipt {
  receipt: ParsedReceipt;
  timer: NodeJS.Timeout;
}
/** Longest a receipt waits for the submit_sm_resp of its message. */
const HOLD_RECEIPT_MS = 2000;
const THROTTLE_STATUSES = new Set([0x58, 0x14]);
const ESME_RUNKNOWNERR = 0xff;

/** One submit_sm waiting for the window, in flight, or done. */
interface Part {
  params: Record<string, unknown>;
  sent: boolean;
  done: boolean;
  throttleRetries: number;
  queueTimer: NodeJS.Timeout | undefined;
  resolve: (messageId: string) => void;
  reject: (error: ProviderError) => void;
}

/**
 * An SMPP 3.4 client session on top of the `smpp` package: bind (transceiver, or transmitter plus
 * receiver), a submit window, response timeouts, enquire_link, rebind with backoff, a token-bucket
 * rate limit, throttling backoff with automatic re-submit, concatenation and delivery receipts.
 * Every submit settles: with message ids, or a `ProviderError` whose kind says what to do next.
 */
export class SmppSession {
  readonly providerId: string;
  private readonly options: SmppSessionOptions;
  private readonly transmitter: BindSupervisor;
  private readonly receiver: BindSupervisor | undefined;
  private readonly events = new SessionEmitter();
  private readonly queue: Part[] = [];
  private readonly references: ConcatenationReferences;
  private readonly messageIds: MessageIdIndex;
  private readonly bucket: TokenBucket | undefined;
  private readonly windowSize: number;
  private readonly responseTimeoutMs: number;
  private readonly queueTimeoutMs: number;
  private readonly throttle: Required<NonNullable<SmppSessionOptions['throttleRetry']>>;
  private inFlight = 0;
  private pausedUntil = 0;
  private throttleDelayMs = 0;
  private pumpTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly heldReceipts = new Set<HeldReceipt>();

  constructor(options: SmppSessionOptions) {
    this.options = options;
    this.providerId = options.providerId ?? 'smpp';
    this.windowSize = Math.max(1, options.windowSize ?? SESSION_DEFAULTS.windowSize);
    this.responseTimeoutMs = options.responseTimeoutMs ?? SESSION_DEFAULTS.responseTimeoutMs;
    this.queueTimeoutMs = options.queueTimeoutMs ?? SESSION_DEFAULTS.queueTimeoutMs;
    this.throttle = { ...SESSION_DEFAULTS.throttleRetry, ...options.throttleRetry };
    this.references = new ConcatenationReferences(options.referenceBits ?? 8);
    this.messageIds = new MessageIdIndex(options.messageIdFormat?.submit, options.messageIdFormat?.receipt);
    this.bucket = options.messagesPerSecond
      ? new TokenBucket(options.messagesPerSecond, options.burst)
      : undefined;
    const linkOptions = {
      provider: this.providerId,
      host: options.host,
      port: options.port ?? SESSION_DEFAULTS.port,
      tls: options.tls ?? false,
      systemId: options.systemId,
      password: options.password,
      systemType: options.systemType ?? '',
      addressRange: options.addressRange ?? '',
      addressTon: options.addressTon ?? 0,
      addressNpi: options.addressNpi ?? 0,
      connectTimeoutMs: options.connectTimeoutMs ?? SESSION_DEFAULTS.connectTimeoutMs,
      responseTimeoutMs: this.responseTimeoutMs,
      enquireLinkIntervalMs: options.enquireLinkIntervalMs ?? SESSION_DEFAULTS.enquireLinkIntervalMs,
    };
    const reconnect =
      options.reconnect === false ? false : { ...SESSION_DEFAULTS.reconnect, ...options.reconnect };
    const hooks = (bindType: 'transceiver' | 'transmitter' | 'receiver', submits: boolean) => ({
      onBound: (link: SmppLink) => {
        this.events.emit('bound', { bindType, smscSystemId: link.smscSystemId });
        if (submits) this.pump();
      },
      onUnbound: (reason: Error) => {
        this.events.emit('unbound', { bindType, reason });
        if (submits && reconnect === false)
          this.rejectQueued(() => this.notSent('CONNECTION_LOST', reason.message));
      },
      onReconnecting: (attempt: number, delayMs: number, error: ProviderError | undefined) =>
        this.events.emit('reconnecting', { bindType, attempt, delayMs, error }),
      onBindError: (error: ProviderError) => {
        // A refused password will be refused again: fail the waiting parts now, keep retrying the bind.
        if (submits && error.kind === 'configuration') this.rejectQueued(() => error);
      },
      onDeliver: (pdu: PDU) => this.deliver(pdu),
    });
    if (options.bindMode === 'transmitter-receiver') {
      this.transmitter = new BindSupervisor(
        'transmitter',
        linkOptions,
        reconnect,
        hooks('transmitter', true),
      );
      this.receiver = new BindSupervisor('receiver', linkOptions, reconnect, hooks('receiver', false));
    } else {
      this.transmitter = new BindSupervisor(
        'transceiver',
        linkOptions,
        reconnect,
        hooks('transceiver', true),
      );
    }
  }

  get state(): SmppSessionState {
    if (this.closed) return 'closed';
    if (this.closing) return 'closing';
    return this.transmitter.state === 'closed' ? 'closed' : this.transmitter.state;
  }

  /** submit_sm PDUs awaiting a response. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Parts waiting for the window, the rate limit or a rebind. */
  get queuedCount(): number {
    return this.queue.filter((part) => !part.done).length;
  }

  on<E extends SmppSessionEvent>(event: E, listener: (payload: SmppSessionEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  onReceipt(listener: (receipt: DeliveryReceipt) => void): () => void {
    return this.events.on('receipt', listener);
  }

  onMessage(listener: (message: InboundMessage) => void): () => void {
    return this.events.on('message', listener);
  }

  /**
   * Binds. Rejects with a `ProviderError` when the first bind fails (`configuration` for a refused
   * password or system id, `transient` for a refused or timed-out connection) and stays idle; after a
   * successful bind, drops are rebound automatically.
   */
  connect(): Promise<void> {
    if (this.closed || this.closing) return Promise.reject(this.closedError());
    if (this.state === 'bound' && (!this.receiver || this.receiver.state === 'bound'))
      return Promise.resolve();
    this.connecting ??= Promise.all([this.transmitter.start(), this.receiver?.start()])
      .then(() => undefined)
      .catch(async (error: unknown) => {
        // A half-bound transmitter/receiver pair is no use: undo it so connect() can run again.
        if (this.receiver) await Promise.all([this.transmitter.close(1000), this.receiver.close(1000)]);
        throw error;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  /** Submits a message (one submit_sm per part); binds first when the session is idle. */
  async submit(message: SmppSubmitMessage, options: SmppSubmitOptions = {}): Promise<SmppSubmitResult> {
    const { signal } = options;
    if (signal?.aborted) throw this.abortedBeforeSend(signal);
    if (this.closed || this.closing) throw this.closedError();
    const encoded = encodeOrRefuse(
      message.text,
      {
        concatenation: this.options.concatenation ?? 'udh',
        referenceBits: this.options.referenceBits ?? 8,
        reference: () => this.references.next(message.to),
      },
      this.providerId,
    );
    const state = this.transmitter.state;
    if (state === 'idle' || state === 'connecting') await this.withAbort(this.connect(), signal);
    const parts = encoded.parts.map((part) => this.createPart(message, part));
    const settled = Promise.allSettled(parts.map((part) => part.promise));
    const onAbort = () => {
      for (const { part } of parts) {
        if (part.done) continue;
        this.settle(
          part,
          part.sent ? abortedError(this.providerId, signal!) : this.abortedBeforeSend(signal!),
        );
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const { part } of parts) this.enqueue(part);
    this.pump();
    const results = await settled;
    signal?.removeEventListener('abort', onAbort);
    const messageIds: string[] = [];
    const failures: ProviderError[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') messageIds.push(result.value);
      else failures.push(result.reason as ProviderError);
    }
    if (failures.length > 0) throw this.partialFailure(failures[0]!, messageIds.length, results.length);
    return { messageIds, segments: encoded.segments, encoding: encoded.encoding };
  }

  /**
   * Stops taking submits, fails the unsent ones (transient), waits up to `timeoutMs` for in-flight
   * responses, unbinds and closes. Whatever is still in flight then rejects as ambiguous.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= (async () => {
      const timeoutMs = options.timeoutMs ?? this.options.closeTimeoutMs ?? SESSION_DEFAULTS.closeTimeoutMs;
      const deadline = performance.now() + timeoutMs;
      clearTimeout(this.pumpTimer);
      this.rejectQueued(() => this.closedError());
      await this.waitForIdle(timeoutMs);
      const remaining = Math.max(50, Math.min(1000, deadline - performance.now()));
      await Promise.all([this.transmitter.close(remaining), this.receiver?.close(remaining)]);
      for (const held of this.heldReceipts) this.releaseHeld(held, undefined);
      this.closed = true;
    })();
    return this.closing;
  }

  private createPart(
    message: SmppSubmitMessage,
    encoded: EncodedPart,
  ): { part: Part; promise: Promise<string> } {
    const source = this.options.sourceAddressType ?? sourceAddressType(message.from);
    const destination = this.options.destinationAddressType ?? { ton: 1, npi: 1 };
    const registered = message.registeredDelivery ?? this.options.registeredDelivery ?? 1;
    const params: Record<string, unknown> = {
      service_type: this.options.serviceType ?? '',
      source_addr_ton: source.ton,
      source_addr_npi: source.npi,
      source_addr: stripPlus(message.from),
      dest_addr_ton: destination.ton,
      dest_addr_npi: destination.npi,
      destination_addr: stripPlus(message.to),
      esm_class: encoded.esmClass,
      registered_delivery: registered === true ? 1 : registered === false ? 0 : registered,
      data_coding: encoded.dataCoding,
      short_message: encoded.shortMessage,
      ...encoded.tlvs,
    };
    let resolve!: (messageId: string) => void;
    let reject!: (error: ProviderError) => void;
    const promise = new Promise<string>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    const part: Part = {
      params,
      sent: false,
      done: false,
      throttleRetries: 0,
      queueTimer: undefined,
      resolve,
      reject,
    };
    return { part, promise };
  }

  private enqueue(part: Part, front = false): void {
    part.sent = false;
    part.queueTimer = setTimeout(() => {
      if (!part.sent) this.settle(part, this.notSent('QUEUE_TIMEOUT', `waited ${this.queueTimeoutMs} ms`));
    }, this.queueTimeoutMs);
    part.queueTimer.unref();
    if (front) this.queue.unshift(part);
    else this.queue.push(part);
  }

  /** Sends queued parts while the window, the rate limit and the throttle pause allow. */
  private pump(): void {
    if (this.pumpTimer || this.closing) return;
    const link = this.transmitter.link;
    while (this.queue.length > 0) {
      const part = this.queue[0]!;
      if (part.done) {
        this.queue.shift();
        continue;
      }
      if (!link?.writable || this.inFlight >= this.windowSize) return;
      const now = performance.now();
      const wait = now < this.pausedUntil ? this.pausedUntil - now : (this.bucket?.take(now) ?? 0);
      if (wait > 0) {
        this.schedulePump(wait);
        return;
      }
      this.queue.shift();
      this.send(link, part);
    }
  }

  private schedulePump(delayMs: number): void {
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, Math.ceil(delayMs));
  }

  private send(link: SmppLink, part: Part): void {
    part.sent = true;
    clearTimeout(part.queueTimer);
    this.inFlight += 1;
    link.send('submit_sm', part.params, this.responseTimeoutMs, (error, response) => {
      this.inFlight -= 1;
      if (response) this.answered(part, response);
      // Refused before writing (socket just closed): nothing left, so it waits for the rebind.
      else if (error?.providerCode === 'NOT_CONNECTED' && !part.done) this.enqueue(part, true);
      else this.settle(part, error);
      if (this.inFlight === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
      this.pump();
    });
  }

  private answered(part: Part, response: PDU): void {
    const status =
      response.command === 'generic_nack'
        ? response.command_status || ESME_RUNKNOWNERR
        : response.command_status;
    if (status === 0) {
      this.throttleDelayMs = 0;
      const messageId = String(response.message_id ?? '');
      if (messageId === '') {
        // Accepted, yet without an id no receipt can ever be matched: not a success we can use.
        this.settle(part, this.missingMessageId());
        return;
      }
      this.messageIds.add(messageId);
      this.settle(part, undefined, messageId);
      if (this.heldReceipts.size > 0) this.matchHeldReceipts();
      return;
    }
    if (THROTTLE_STATUSES.has(status)) {
      const delayMs = this.backOff(status);
      if (!part.done && part.throttleRetries < this.throttle.maxRetries && !this.closing) {
        part.throttleRetries += 1;
        this.enqueue(part, true);
        return;
      }
      this.settle(part, commandStatusError(status, this.providerId, 'submit_sm', delayMs));
      return;
    }
    this.settle(part, commandStatusError(status, this.providerId, 'submit_sm'));
  }

  /** Pauses every submit after a throttle; the pause doubles only when throttling outlasts it. */
  private backOff(status: number): number {
    const now = performance.now();
    if (now >= this.pausedUntil) {
      const { initialDelayMs, maxDelayMs } = this.throttle;
      this.throttleDelayMs = this.throttleDelayMs
        ? Math.min(maxDelayMs, this.throttleDelayMs * 2)
        : initialDelayMs;
      this.pausedUntil = now + this.throttleDelayMs;
      this.events.emit('throttled', {
        providerCode: formatCommandStatus(status),
        delayMs: this.throttleDelayMs,
      });
    }
    return this.throttleDelayMs;
  }

  private settle(part: Part, error: ProviderError | undefined, messageId = ''): void {
    if (part.done) return;
    part.done = true;
    clearTimeout(part.queueTimer);
    if (error) part.reject(error);
    else part.resolve(messageId);
  }

  private rejectQueued(error: () => ProviderError): void {
    for (const part of this.queue.splice(0)) if (!part.done) this.settle(part, error());
  }

  private waitForIdle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private deliver(pdu: PDU): void {
    const content = textOf(pdu.message_payload) ?? textOf(pdu.short_message);
    const fields = {
      esmClass: Number(pdu.esm_class ?? 0),
      sourceAddr: String(pdu.source_addr ?? ''),
      destinationAddr: String(pdu.destination_addr ?? ''),
      text: content,
      receiptedMessageId: typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id : undefined,
      messageState: typeof pdu.message_state === 'number' ? pdu.message_state : undefined,
      networkErrorCode: Buffer.isBuffer(pdu.network_error_code) ? pdu.network_error_code : undefined,
    };
    if (!isReceipt(fields)) {
      this.events.emit('message', {
        from: fields.sourceAddr,
        to: fields.destinationAddr,
        text: content ?? '',
        dataCoding: Number(pdu.data_coding ?? 0),
        esmClass: fields.esmClass,
      });
      return;
    }
    const parsed = parseDeliveryReceipt(fields);
    if (!parsed) return;
    const submitId = this.messageIds.find(parsed.receiptMessageId);
    if (submitId === undefined && this.inFlight > 0) {
      // Some SMSCs send the receipt before submit_sm_resp: hold it until the responses are in.
      const held = {
        receipt: parsed,
        timer: setTimeout(() => this.releaseHeld(held, undefined), HOLD_RECEIPT_MS),
      };
      held.timer.unref();
      this.heldReceipts.add(held);
      return;
    }
    this.emitReceipt(parsed, submitId);
  }

  private matchHeldReceipts(): void {
    for (const held of this.heldReceipts) {
      const submitId = this.messageIds.find(held.receipt.receiptMessageId);
      if (submitId !== undefined || this.inFlight === 0) this.releaseHeld(held, submitId);
    }
  }

  private releaseHeld(held: HeldReceipt, submitId: string | undefined): void {
    if (!this.heldReceipts.delete(held)) return;
    clearTimeout(held.timer);
    this.emitReceipt(held.receipt, submitId);
  }

  private emitReceipt(parsed: ParsedReceipt, submitId: string | undefined): void {
    if (submitId !== undefined && isFinalStatus(parsed.status)) this.messageIds.delete(submitId);
    this.events.emit('receipt', {
      ...parsed,
      messageId: submitId ?? parsed.receiptMessageId,
      matched: submitId !== undefined,
    });
  }

  private withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return promise;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.abortedBeforeSend(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private partialFailure(error: ProviderError, accepted: number, total: number): ProviderError {
    if (accepted === 0 || total === 1) return error;
    return new ProviderError({
      kind: error.kind,
      provider: error.provider,
      providerCode: error.providerCode,
      retryAfterMs: error.retryAfterMs,
      message: `${error.message} (${accepted} of ${total} parts were accepted)`,
      cause: error,
    });
  }

  private notSent(code: string, detail: string): ProviderError {
    return new ProviderError({
      kind: 'transient',
      provider: this.providerId,
      providerCode: code,
      message: `[msg] [smpp] submit not sent (${detail}); safe to retry`,
    });
  }

  private abortedBeforeSend(signal: AbortSignal): ProviderError {
    const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
    return new ProviderError({
      kind: 'transient',
      provider: this.providerId,
      providerCode: 'MSG_ABORTED',
      message: `[msg] [smpp] aborted before it was sent (${reason}); nothing was delivered`,
      cause: signal.reason,
    });
  }

  private missingMessageId(): ProviderError {
    return new ProviderError({
      kind: 'ambiguous',
      provider: this.providerId,
      providerCode: 'MISSING_MESSAGE_ID',
      message: '[msg] [smpp] submit_sm_resp accepted the part without a message_id; it may be delivered',
    });
  }

  private closedError(): ProviderError {
    return this.notSent('SESSION_CLOSED', 'the session is closing');
  }
}

/** Text of a short_message / message_payload as the `smpp` package decodes it ({ message } or raw). */
function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.length > 0 ? value.toString('latin1') : undefined;
  if (typeof value === 'object' && 'message' in value) return textOf((value as { message: unknown }).message);
  return undefined;
}

export function createSmppSession(options: SmppSessionOptions): SmppSession {
  return new SmppSession(options);
}
