/// <reference path="./smpp-module.d.ts" />
import type { ConnectionOptions } from 'node:tls';
import { networkError, ProviderError } from '@msg/core';
import { connect, PDU, type Session } from 'smpp';
import { commandStatusError } from './smpp-command-status.js';
import type { BindType } from './smpp-session-options.js';

export interface LinkOptions {
  provider: string;
  host: string;
  port: number;
  tls: boolean | ConnectionOptions;
  bindType: BindType;
  systemId: string;
  password: string;
  systemType: string;
  addressRange: string;
  addressTon: number;
  addressNpi: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  enquireLinkIntervalMs: number;
  onDeliver: (pdu: PDU) => void;
  onClose: (reason: Error) => void;
}

interface Pending {
  callback: (error: ProviderError | undefined, pdu?: PDU) => void;
  timer: NodeJS.Timeout;
  command: string;
}

/** Requests an SMSC may send us that have no response PDU. */
const NO_RESPONSE = new Set(['alert_notification', 'outbind']);
const ESME_RINVCMDID = 0x03;

/**
 * One TCP connection and its bind: sequence numbers, requests matched to responses with a timeout
 * each (the `smpp` package keeps a callback per request forever when no answer comes), answers to
 * the SMSC's enquire_link / deliver_sm / unbind, enquire_link on idle. It never reconnects: the
 * session replaces a dropped link.
 */
export class SmppLink {
  private session: Session | undefined;
  private readonly pending = new Map<number, Pending>();
  private sequence = 0;
  private lastActivity = performance.now();
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private closeReason: Error | undefined;
  private closed = false;
  private wasBound = false;
  private corked = false;
  bound = false;
  smscSystemId = '';

  constructor(private readonly options: LinkOptions) {}

  get writable(): boolean {
    return this.bound && !this.closed && this.session?.socket.writable === true;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Connects and binds; rejects with a `ProviderError` (configuration for a refused bind). */
  async open(): Promise<void> {
    await this.connectSocket();
    const command = `bind_${this.options.bindType}`;
    let response: PDU;
    try {
      response = await this.request(
        command,
        {
          system_id: this.options.systemId,
          password: this.options.password,
          system_type: this.options.systemType,
          interface_version: 0x34,
          addr_ton: this.options.addressTon,
          addr_npi: this.options.addressNpi,
          address_range: this.options.addressRange,
        },
        this.options.connectTimeoutMs,
      );
    } catch (error) {
      this.destroy(new Error('bind failed'));
      // Nothing was at stake in a bind: a timeout or drop here is safe to retry.
      const cause = error as ProviderError;
      throw new ProviderError({
        kind: 'transient',
        provider: this.options.provider,
        providerCode: cause.providerCode,
        message: `[msg] [smpp] ${command} got no answer: ${cause.message}`,
        cause,
      });
    }
    if (response.command_status !== 0) {
      this.destroy(new Error('bind refused'));
      throw commandStatusError(response.command_status, this.options.provider, command);
    }
    this.smscSystemId = typeof response.system_id === 'string' ? response.system_id : '';
    this.bound = true;
    this.wasBound = true;
    this.scheduleKeepAlive();
  }

  private connectSocket(): Promise<void> {
    const { host, port, tls } = this.options;
    const tlsOptions = typeof tls === 'object' ? { ...tls, tls: true } : { tls };
    return new Promise<void>((resolve, reject) => {
      const session = connect({ host, port, ...tlsOptions });
      this.session = session;
      const timer = setTimeout(() => {
        const error = Object.assign(new Error(`connect to ${host}:${port} timed out`), {
          code: 'ERR_SOCKET_CONNECTION_TIMEOUT',
        });
        session.destroy();
        reject(networkError(error, this.options.provider));
      }, this.options.connectTimeoutMs);
      const onError = (error: Error) => {
        clearTimeout(timer);
        reject(networkError(error, this.options.provider));
      };
      session.once('error', onError);
      session.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        session.off('error', onError);
        session.socket.setNoDelay(true);
        resolve();
      });
      session.on('error', (error: Error) => {
        this.closeReason ??= error;
        // The package leaves the socket open after a PDU it cannot parse: the stream is lost.
        session.destroy();
      });
      session.on('close', () => this.finish());
      session.on('pdu', (pdu: PDU) => this.receive(pdu));
    });
  }

  /** Sends a request; resolves with the response PDU whatever its command_status. */
  request(command: string, params: Record<string, unknown>, timeoutMs: number): Promise<PDU> {
    return new Promise<PDU>((resolve, reject) => {
      this.send(command, params, timeoutMs, (error, pdu) => (error ? reject(error) : resolve(pdu as PDU)));
    });
  }

  /**
   * Sends a request and calls `callback` exactly once: with the response (synchronously, as it is
   * read, so a receipt right behind it in the same read already finds its message id), or with a
   * `ProviderError` on timeout, drop, or when nothing could be written.
   */
  send(
    command: string,
    params: Record<string, unknown>,
    timeoutMs: number,
    callback: (error: ProviderError | undefined, pdu?: PDU) => void,
  ): void {
    const session = this.session;
    if (this.closed || !session || !session.socket.writable) {
      callback(this.notConnected());
      return;
    }
    this.sequence = this.sequence >= 0x7fffffff ? 1 : this.sequence + 1;
    const sequence = this.sequence;
    let buffer: Buffer;
    try {
      // Encoded here, once, so a field the package cannot write fails this request only.
      buffer = new PDU(command, { ...params, sequence_number: sequence }).toBuffer();
    } catch (error) {
      callback(
        new ProviderError({
          kind: 'permanent',
          provider: this.options.provider,
          providerCode: 'ENCODE',
          message: `[msg] [smpp] cannot encode ${command}: ${(error as Error).message}`,
          cause: error,
        }),
      );
      return;
    }
    const timer = setTimeout(() => {
      // Forget the sequence: a late response finds nothing and is dropped.
      this.pending.delete(sequence);
      callback(
        new ProviderError({
          kind: 'ambiguous',
          provider: this.options.provider,
          providerCode: 'RESPONSE_TIMEOUT',
          message: `[msg] [smpp] no ${command}_resp within ${timeoutMs} ms; it may have been accepted`,
        }),
      );
    }, timeoutMs);
    timer.unref();
    this.pending.set(sequence, { callback, timer, command });
    this.lastActivity = performance.now();
    this.write(session, buffer);
  }

  /** Writes, batching every PDU of one tick into one syscall (a full window goes out together). */
  private write(session: Session, buffer: Buffer): void {
    const socket = session.socket;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(buffer);
  }

  private receive(pdu: PDU): void {
    this.lastActivity = performance.now();
    if (pdu.isResponse()) {
      const pending = this.pending.get(pdu.sequence_number);
      if (!pending) return;
      this.pending.delete(pdu.sequence_number);
      clearTimeout(pending.timer);
      pending.callback(undefined, pdu);
      return;
    }
    const session = this.session;
    if (!session) return;
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'deliver_sm':
        // Answer first: an SMSC re-sends a receipt whose deliver_sm_resp is late.
        session.send(pdu.response({ message_id: '' }));
        this.options.onDeliver(pdu);
        return;
      case 'unbind':
        session.send(pdu.response());
        this.bound = false;
        this.closeReason ??= new Error('SMSC sent unbind');
        session.close();
        return;
      default:
        if (!NO_RESPONSE.has(pdu.command)) session.send(pdu.response({ command_status: ESME_RINVCMDID }));
    }
  }

  private scheduleKeepAlive(): void {
    const interval = this.options.enquireLinkIntervalMs;
    if (!(interval > 0) || this.closed) return;
    const due = Math.max(0, this.lastActivity + interval - performance.now());
    this.keepAliveTimer = setTimeout(() => {
      if (this.closed) return;
      if (performance.now() - this.lastActivity >= interval) {
        this.request('enquire_link', {}, this.options.responseTimeoutMs).then(
          (response) => {
            if (response.command_status !== 0) this.destroy(new Error('enquire_link refused'));
          },
          () => this.destroy(new Error('enquire_link got no answer')),
        );
      }
      this.scheduleKeepAlive();
    }, due);
    this.keepAliveTimer.unref();
  }

  /** Unbinds (waiting at most `timeoutMs` for unbind_resp) and closes the socket. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.closeReason ??= new Error('session closed');
    if (this.writable) {
      await this.request('unbind', {}, Math.max(1, timeoutMs)).catch(() => undefined);
    }
    this.bound = false;
    const session = this.session;
    if (!session || this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          session.destroy();
          resolve();
        },
        Math.max(1, timeoutMs),
      );
      timer.unref();
      session.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Drops the connection now; every pending request rejects as ambiguous. */
  destroy(reason: Error): void {
    this.closeReason ??= reason;
    this.bound = false;
    this.session?.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.bound = false;
    clearTimeout(this.keepAliveTimer);
    const reason = this.closeReason ?? new Error('connection closed by the SMSC');
    for (const [sequence, pending] of this.pending) {
      this.pending.delete(sequence);
      clearTimeout(pending.timer);
      pending.callback(
        new ProviderError({
          kind: 'ambiguous',
          provider: this.options.provider,
          providerCode: 'CONNECTION_LOST',
          message: `[msg] [smpp] connection lost before ${pending.command}_resp (${reason.message}); it may have been accepted`,
          cause: reason,
        }),
      );
    }
    // A link that never bound reports through open()'s rejection instead.
    if (this.wasBound) this.options.onClose(reason);
  }

  private notConnected(): ProviderError {
    return new ProviderError({
      kind: 'transient',
      provider: this.options.provider,
      providerCode: 'NOT_CONNECTED',
      message: '[msg] [smpp] not connected; nothing was sent',
    });
  }
}
