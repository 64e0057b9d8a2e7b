import { ProviderError } from '@msg/core';

/** A marker-error class: anything with a static `isInstance` guard (`ProviderError`, `ValidationError`…). */
export interface ErrorGuard<E> {
  isInstance(value: unknown): value is E;
}

/**
 * The error a promise rejects with, checked to be of the given class (`ProviderError` unless
 * told otherwise). Throws when the promise resolves, or rejects with anything else, so a test
 * that expects a failure cannot pass by accident.
 */
export async function rejectionOf<E = ProviderError>(
  promise: Promise<unknown>,
  guard: ErrorGuard<E> = ProviderError as unknown as ErrorGuard<E>,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (!guard.isInstance(error)) throw error;
    return error;
  }
  throw new Error('expected a rejection');
}

/** Polls `check` every few milliseconds until it holds, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
