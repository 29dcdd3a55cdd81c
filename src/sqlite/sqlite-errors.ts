/**
 * How `better-sqlite3` errors are understood. SQLite reports a missing table or column only in the
 * message text, so those are matched on it; constraint errors carry an extended `code`.
 *
 * @module
 */
import { codeOf, type ErrorKind } from '../core/sql/dialect-contract.js';

/** Classifies a `better-sqlite3` error for the shared core. */
export function classifySqliteError(error: unknown): ErrorKind {
  const code = codeOf(error);
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') return 'unique-violation';
  const message = error instanceof Error ? error.message : '';
  if (/^(no such table|no such column|table \S+ has no column named)|ON CONFLICT clause does not match/.test(message)) {
    return 'schema-missing';
  }
  if (isTransientError(error)) return 'transient';
  return 'other';
}

/**
 * Whether a `better-sqlite3` error is a passing fault worth retrying: the database was busy or
 * locked by another connection for longer than the busy timeout. `withSessionRetry` retries these by
 * itself when it has an `idempotencyKey`.
 *
 * @example
 * ```ts
 * await withRetry(work, { shouldRetry: (e) => isConcurrencyError(e) || isTransientError(e) });
 * ```
 */
export function isTransientError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
