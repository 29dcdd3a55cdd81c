/**
 * Why an attempt failed, as retry log lines say it: a version conflict with its versions, or an
 * error's class and code. Never the error's message, which may quote a key or a connection string.
 *
 * @module
 */
import { isConcurrencyError } from '../errors.js';

/** `version conflict (expected 3, found 4)`, `Error ECONNRESET`, `DatabaseError 40P01`, `TypeError`. */
export function describeRetryCause(error: unknown): string {
  if (isConcurrencyError(error)) {
    return `version conflict (expected ${error.expectedVersion}, found ${error.actualVersion === null ? 'unknown' : error.actualVersion})`;
  }
  if (typeof error !== 'object' || error === null) return typeof error;
  const name = (error as { name?: unknown }).name;
  const code = (error as { code?: unknown }).code;
  const label = typeof name === 'string' && /^[\w$.-]{1,60}$/.test(name) ? name : (error.constructor?.name ?? 'Error');
  return typeof code === 'string' || typeof code === 'number' ? `${label} ${String(code).slice(0, 40)}` : label;
}
