import { ValidationError } from '../src/errors.js';

/** The issues of the `ValidationError` that `fn` throws; fails when it throws none or another error. */
export function issuesOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (error) {
    if (ValidationError.isInstance(error)) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ValidationError');
}
