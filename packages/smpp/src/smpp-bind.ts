/// <reference path="./smpp-module.d.ts" />
import type { ProviderError } from '@msg/core';
import type { PDU } from 'smpp';
import { type LinkOptions, SmppLink } from './smpp-link.js';
import type { BindType, ReconnectOptions } from './smpp-session-options.js';

export type BindState = 'idle' | 'connecting' | 'bound' | 'reconnecting' | 'closed';

export interface BindHooks {
  onBound(link: SmppLink): void;
  onUnbound(reason: Error): void;
  onReconnecting(attempt: number, delayMs: number, error: ProviderError | undefined): void;
  /** A rebind was refused or failed; `configuration` means waiting will not help. */
  onBindError(error: ProviderError): void;
  onDeliver(pdu: PDU): void;
}

/** One bind (transceiver, transmitter or receiver) kept up: binds, notices drops, rebinds with backoff. */
export class BindSupervisor {
  state: BindState = 'idle';
  link: SmppLink | undefined;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private connecting: SmppLink | undefined;
  private boundWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(
    readonly bindType: BindType,
    private readonly linkOptions: Omit<LinkOptions, 'bindType' | 'onDeliver' | 'onClose'>,
    private readonly reconnect: Required<ReconnectOptions> | false,
    private readonly hooks: BindHooks,
  ) {}

  /** The first bind: rejects on failure and goes back to `idle` (no background retry). */
  async start(): Promise<void> {
    if (this.state === 'bound' || this.state === 'closed') return;
    // Already rebinding: wait for that instead of opening a second connection.
    if (this.state === 'reconnecting') {
      return new Promise<void>((resolve, reject) => this.boundWaiters.push({ resolve, reject }));
    }
    this.state = 'connecting';
    try {
      await this.bindOnce();
    } catch (error) {
      if (this.state === 'connecting') this.state = 'idle';
      throw error;
    }
  }

  private async bindOnce(): Promise<void> {
    const link = new SmppLink({
      ...this.linkOptions,
      bindType: this.bindType,
      onDeliver: (pdu) => this.hooks.onDeliver(pdu),
      onClose: (reason) => this.dropped(link, reason),
    });
    this.connecting = link;
    try {
      await link.open();
    } finally {
      this.connecting = undefined;
    }
    if (this.state === 'closed') {
      await link.close(1000);
      return;
    }
    this.link = link;
    this.state = 'bound';
    this.attempt = 0;
    for (const waiter of this.boundWaiters.splice(0)) waiter.resolve();
    this.hooks.onBound(link);
  }

  private dropped(link: SmppLink, reason: Error): void {
    if (link !== this.link || this.state === 'closed') return;
    this.link = undefined;
    this.hooks.onUnbound(reason);
    if (this.reconnect === false) {
      this.state = 'idle';
      return;
    }
    this.state = 'reconnecting';
    this.scheduleRebind(undefined);
  }

  private scheduleRebind(error: ProviderError | undefined): void {
    if (this.reconnect === false || this.state === 'closed') return;
    this.attempt += 1;
    const { initialDelayMs, maxDelayMs } = this.reconnect;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.attempt - 1, 30));
    // Jitter spreads the rebinds of many gateway instances after an SMSC restart.
    const delayMs = Math.round(ceiling * (0.75 + Math.random() * 0.25));
    this.hooks.onReconnecting(this.attempt, delayMs, error);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.bindOnce().catch((bindError: ProviderError) => {
        if (this.state === 'closed') return;
        this.hooks.onBindError(bindError);
        if (bindError.kind === 'configuration')
          for (const waiter of this.boundWaiters.splice(0)) waiter.reject(bindError);
        this.scheduleRebind(bindError);
      });
    }, delayMs);
    this.timer.unref();
  }

  async close(timeoutMs: number): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.timer);
    for (const waiter of this.boundWaiters.splice(0)) waiter.reject(new Error('session closed'));
    this.connecting?.destroy(new Error('session closed'));
    const link = this.link;
    this.link = undefined;
    await link?.close(timeoutMs);
  }
}
