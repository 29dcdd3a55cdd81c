/**
 * How `mysql2` errors are understood. A server error carries its number as `errno` (and its name as
 * `code`, e.g. `ER_DUP_ENTRY`); a client-side failure carries a `code` only (`PROTOCOL_CONNECTION_LOST`,
 * `ECONNRESET`, …). The numbers are the same on MySQL and MariaDB unless noted.
 *
 * @module
 */
import type { ErrorKind } from '../core/sql/dialect-contract.js';

// ER_DUP_ENTRY.
const UNIQUE_VIOLATION = 1062;
// ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR. A missing database (1049) is not: the migrations do not create one.
const SCHEMA_MISSING = new Set([1146, 1054]);
// Deadlock (1213), lock wait timeout (1205), too many connections (1040), server shutdown (1053),
// network read/write errors (1158–1161), lost connection and server gone away as client numbers
// (2013, 2006), a killed connection (MariaDB 1927), and MySQL 8's disconnect of an idle session (4031).
const TRANSIENT_NUMBERS = new Set([1213, 1205, 1040, 1053, 1158, 1159, 1160, 1161, 2006, 2013, 1927, 4031]);
// What mysql2 and Node's sockets report for a connection that broke, timed out or was refused.
const TRANSIENT_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);

interface DriverErrorShape {
  errno?: unknown;
  code?: unknown;
  message?: unknown;
}

function shapeOf(error: unknown): DriverErrorShape {
  return typeof error === 'object' && error !== null ? (error as DriverErrorShape) : {};
}

function numberOf(error: DriverErrorShape): number | undefined {
  return typeof error.errno === 'number' ? error.errno : undefined;
}

/**
 * Whether a `mysql2` error is a passing fault worth retrying: a deadlock (1213), a lock wait timeout
 * (1205), too many connections (1040), a server shutdown (1053), a lost or killed connection (2013,
 * 2006, 1927, 4031, `PROTOCOL_CONNECTION_LOST`, `ECONNRESET`, …). `withSessionRetry` retries these by
 * itself when it has an `idempotencyKey`; elsewhere pass it to `withRetry` to opt in.
 *
 * A lost connection can hide a write that did commit. Retrying a versioned update after one is safe
 * for the data (the repeat fails with a `ConcurrencyError` instead of writing twice), but the handler
 * runs again: give the update an `idempotencyKey` so the repeat recognises its own commit.
 *
 * @example
 * ```ts
 * import { withRetry, isConcurrencyError } from 'versioned-sessions';
 * import { isTransientError } from 'versioned-sessions/mysql';
 *
 * await withRetry(work, { shouldRetry: (e) => isConcurrencyError(e) || isTransientError(e) });
 * ```
 */
export function isTransientError(error: unknown): boolean {
  const shape = shapeOf(error);
  const number = numberOf(shape);
  if (number !== undefined && TRANSIENT_NUMBERS.has(number)) return true;
  if (typeof shape.code === 'string' && TRANSIENT_CODES.has(shape.code)) return true;
  const message = typeof shape.message === 'string' ? shape.message : '';
  return /Can't add new command when connection is in closed state|Connection lost: The server closed the connection/i.test(
    message,
  );
}

/**
 * Classifies a `mysql2` error for the shared core.
 *
 * @example
 * ```ts
 * classifyMysqlError(error) === 'schema-missing'; // 1146 (no such table) or 1054 (unknown column)
 * ```
 */
export function classifyMysqlError(error: unknown): ErrorKind {
  const number = numberOf(shapeOf(error));
  if (number === UNIQUE_VIOLATION) return 'unique-violation';
  if (number !== undefined && SCHEMA_MISSING.has(number)) return 'schema-missing';
  if (isTransientError(error)) return 'transient';
  return 'other';
}
