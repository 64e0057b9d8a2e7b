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

/**
 * Causes that pass once an operator or time frees the resource: a full disk, an I/O error, a lock;
 * a database server that refuses or drops connections, or is out of room (PostgreSQL's classes 08, 53, 57P0).
 */
const OUTAGE =
  /^(SQLITE_(FULL|IOERR|BUSY|LOCKED|NOMEM|READONLY)|ENOSPC|EDQUOT|EIO$|EROFS|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|08\d{3}|53\d{3}|57P0\d)/;

/**
 * Whether the store failed for want of a resource that may come back (a full disk, a file system
 * remounted read-only) rather than for a bug or its configuration (a constraint, a bad path): the
 * first is waited out, the second reported at once.
 */
export function isStorageOutage(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && OUTAGE.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
