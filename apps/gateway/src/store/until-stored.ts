import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@msg/core';
import { isStorageOutage } from './store-error.js';

export interface UntilStoredOptions {
  /** What the write does, for the log (`store the outcome of msg_…`). */
  what: string;
  logger: Logger;
  /** Ends the waiting (shutdown): the last error is thrown. */
  signal?: AbortSignal | undefined;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs a store write until it lands. A store that cannot be written for now (a full disk, a file
 * system remounted read-only) is waited out with backoff, since the work it records is already
 * done and must not be lost; any other error (a bug, a closed store), or the signal, ends the wait. The caller holds one write at a time, so
 * memory stays bounded by the callers (the dispatcher's workers).
 */
export async function untilStored<T>(write: () => Promise<T>, options: UntilStoredOptions): Promise<T> {
  const maxDelayMs = options.maxDelayMs ?? 5000;
  let delayMs = options.initialDelayMs ?? 100;
  for (let tries = 1; ; tries++) {
    try {
      const value = await write();
      if (tries > 1) options.logger.info(`${options.what}: stored after ${tries} tries`);
      return value;
    } catch (error) {
      if (!isStorageOutage(error) || options.signal?.aborted) throw error;
      if (tries === 1) {
        options.logger.error(`cannot ${options.what}; retrying until the store can be written`, { error });
      }
      try {
        await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        throw error;
      }
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}
