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

/** Causes that are a resource running out (disk, memory, a lock held elsewhere): they pass. */
const EXHAUSTED = /^(SQLITE_(FULL|IOERR|BUSY|LOCKED|NOMEM)|ENOSPC|EDQUOT|EIO$)/;

/**
 * Whether the store failed for want of a resource that may come back (a full disk) rather than
 * for its configuration (a bad path): the first is waited out, the second reported at once.
 */
export function isResourceExhausted(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && EXHAUSTED.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
