import { InputError } from '../../lib/errors';

/** Runs fn and returns the InputError it throws (fails the test if it throws nothing or something else). */
export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}
