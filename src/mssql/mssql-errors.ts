/**
 * How `mssql` errors are understood. A server error carries its number on the `RequestError`
 * (`number`, or `info.number` on the wrapped tedious error); a batch that raised several keeps the
 * earlier ones in `precedingErrors`; a connection failure keeps the socket's or tedious's error in
 * `originalError` (an `AggregateError` when several addresses were tried). Every check looks through
 * all of them.
 *
 * @module
 */
import type { ErrorKind } from '../core/sql/dialect-contract.js';

// Violation of PRIMARY KEY / UNIQUE constraint, and duplicate key in a unique index.
const UNIQUE_VIOLATION = new Set([2627, 2601]);
// Invalid column name, invalid object name.
const SCHEMA_MISSING = new Set([207, 208]);
// Deadlock victim, lock timeout, cannot open database, and the Azure SQL faults its documentation
// lists as transient: service busy (40501), database unavailable (40613, 40197 during reconfiguration),
// resource limits (10928, 10929) and elastic pool limits (49918–49920).
const TRANSIENT_NUMBERS = new Set([1205, 1222, 4060, 40197, 40501, 40613, 49918, 49919, 49920, 10928, 10929]);
// The driver's codes for a timed-out request or connection, a broken socket, and a closed connection.
const TRANSIENT_CODES = new Set(['ETIMEOUT', 'ESOCKET', 'ECONNCLOSED']);

interface DriverErrorShape {
  number?: unknown;
  code?: unknown;
  procName?: unknown;
  isTransient?: unknown;
  info?: { number?: unknown; procName?: unknown };
  originalError?: unknown;
  precedingErrors?: unknown;
  errors?: unknown;
}

/** The error and every error it carries, depth-first, each once. */
function relatedErrors(error: unknown): DriverErrorShape[] {
  const found: DriverErrorShape[] = [];
  const seen = new Set<unknown>();
  const visit = (candidate: unknown, depth: number): void => {
    if (typeof candidate !== 'object' || candidate === null || seen.has(candidate) || depth > 5) return;
    seen.add(candidate);
    const shape = candidate as DriverErrorShape;
    found.push(shape);
    visit(shape.originalError, depth + 1);
    for (const list of [shape.precedingErrors, shape.errors]) {
      if (Array.isArray(list)) for (const inner of list) visit(inner, depth + 1);
    }
  };
  visit(error, 0);
  return found;
}

function numberOf(error: DriverErrorShape): number | undefined {
  const value = error.number ?? error.info?.number;
  return typeof value === 'number' ? value : undefined;
}

/**
 * Whether the error, or one it carries, has one of `numbers` (`number` or `info.number`).
 *
 * @example
 * ```ts
 * hasErrorNumber(error, new Set([229, 262])); // a permission was denied
 * ```
 */
export function hasErrorNumber(error: unknown, numbers: ReadonlySet<number>): boolean {
  return relatedErrors(error).some((inner) => numbers.has(numberOf(inner) ?? -1));
}

/** A server error raised inside a trigger or procedure names it; the store's own statements do not. */
function raisedByStatement(error: DriverErrorShape): boolean {
  const procName = error.procName ?? error.info?.procName;
  return procName === undefined || procName === null || procName === '';
}

/**
 * Classifies an `mssql` error for the shared core.
 *
 * @internal
 */
export function classifyMssqlError(error: unknown): ErrorKind {
  const errors = relatedErrors(error);
  if (errors.some((inner) => UNIQUE_VIOLATION.has(numberOf(inner) ?? -1))) return 'unique-violation';
  // A missing column inside the user's trigger is not a missing migration of this library.
  if (errors.some((inner) => SCHEMA_MISSING.has(numberOf(inner) ?? -1) && raisedByStatement(inner)))
    return 'schema-missing';
  if (isTransientError(error)) return 'transient';
  return 'other';
}

/**
 * Whether an `mssql` error is a passing fault worth retrying: a deadlock or lock timeout, an Azure SQL
 * reconfiguration, throttling or failover (1205, 1222, 4060, 40197, 40501, 40613, 49918–49920, 10928,
 * 10929), a login that tedious marked transient, or the driver's `ETIMEOUT` / `ESOCKET` /
 * `ECONNCLOSED`. The error's `precedingErrors` and `originalError` are looked through too.
 *
 * A timeout or a dropped socket can hide a write that did commit. Retrying a versioned update after
 * one is safe for the data (the repeat fails with a `ConcurrencyError` instead of writing twice), but
 * `withSessionRetry` then runs the handler again on the session it already wrote: opt in only where
 * that is harmless, or give the update an `idempotencyKey`, with which `withSessionRetry` retries
 * these by itself and the repeat recognises the commit (docs/exactly-once.md).
 *
 * @example
 * ```ts
 * import { withRetry, isConcurrencyError } from 'versioned-sessions';
 * import { isTransientError } from 'versioned-sessions/mssql';
 *
 * await withRetry(work, { shouldRetry: (e) => isConcurrencyError(e) || isTransientError(e) });
 * ```
 */
export function isTransientError(error: unknown): boolean {
  return relatedErrors(error).some((inner) => {
    const number = numberOf(inner);
    if (number !== undefined && TRANSIENT_NUMBERS.has(number)) return true;
    if (typeof inner.code === 'string' && TRANSIENT_CODES.has(inner.code)) return true;
    return inner.isTransient === true;
  });
}
