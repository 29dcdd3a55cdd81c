/**
 * How PostgreSQL errors are understood: SQLSTATE codes from the server, `code` strings from Node's
 * sockets.
 *
 * @module
 */
import { codeOf, type ErrorKind } from '../core/sql/dialect-contract.js';

// undefined_table, undefined_column, invalid_schema_name, and "no unique constraint for ON CONFLICT",
// which is what an adopted table without a key index gives.
const SCHEMA_MISSING = new Set(['42P01', '42703', '3F000', '42P10']);
// serialization_failure, deadlock_detected, admin/crash shutdown, cannot_connect_now, connection_exception class.
const TRANSIENT_SQLSTATE = new Set([
  '40001',
  '40P01',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
]);
const TRANSIENT_SOCKET = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether a `pg` error is a passing fault worth retrying: a serialization failure, a deadlock, a
 * server restart or a dropped connection. `withSessionRetry` retries these by itself when
 * it has an `idempotencyKey`; elsewhere pass it to `withRetry` to opt in.
 *
 * @example
 * ```ts
 * await withRetry(work, { shouldRetry: (e) => isConcurrencyError(e) || isTransientError(e) });
 * ```
 */
export function isTransientError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (TRANSIENT_SQLSTATE.has(code) || TRANSIENT_SOCKET.has(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message);
}

/** Classifies a `pg` error for the shared core. */
export function classifyPostgresError(error: unknown): ErrorKind {
  const code = codeOf(error);
  if (code === '23505') return 'unique-violation';
  if (code !== undefined && SCHEMA_MISSING.has(code)) return 'schema-missing';
  if (isTransientError(error)) return 'transient';
  return 'other';
}
