import type { ProviderError } from '@msg/core';
import type { DeliveryReceipt } from './smpp-receipt.js';
import type { BindType } from './smpp-session-options.js';

/** A deliver_sm that is not a receipt: a message from a handset. */
export interface InboundMessage {
  from: string;
  to: string;
  text: string;
  dataCoding: number;
  esmClass: number;
}

export interface SmppSessionEvents {
  bound: { bindType: BindType; smscSystemId: string };
  unbound: { bindType: BindType; reason: Error };
  reconnecting: { bindType: BindType; attempt: number; delayMs: number; error: ProviderError | undefined };
  /** The SMSC throttled a submit; the session pauses for `delayMs` and re-submits. */
  throttled: { providerCode: string; delayMs: number };
  receipt: DeliveryReceipt;
  message: InboundMessage;
}

export type SmppSessionEvent = keyof SmppSessionEvents;
type Listener<E extends SmppSessionEvent> = (payload: SmppSessionEvents[E]) => void;

/** Typed listeners; a throwing listener never breaks the session's socket handling. */
export class SessionEmitter {
  private readonly listeners = new Map<SmppSessionEvent, Set<Listener<never>>>();

  on<E extends SmppSessionEvent>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<E extends SmppSessionEvent>(event: E, payload: SmppSessionEvents[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<E>)(payload);
      } catch {
        // A listener's bug is the listener's; the SMPP stream must go on.
      }
    }
  }
}
