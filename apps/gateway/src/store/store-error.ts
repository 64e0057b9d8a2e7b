import { MsgError } from '@msg/core';

const STORE_UNAVAILABLE_MARKER = Symbol.for('msg.error.store-unavailable');

/** The store could not write: the API answers 503 and nothing is half-written. Every adapter throws it. */
export class StoreUnavailableError extends MsgError {
  readonly [STORE_UNAVAILABLE_MARKER] = true;

  constructor(message: string, cause: unknown) {
    super('MSG_ERR_STORE_UNAVAILABLE', `[msg] [store] ${message}`, { cause });
    this.name = 'StoreUnavailableError';
  }

  static override isInstance(error: unknown): error is StoreUnavailableError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[STORE_UNAVAILABLE_MARKER] === true
    );
  }
}
