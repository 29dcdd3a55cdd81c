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
// Microsoft's list of transient faults (SqlClient's SqlConfigurableRetryFactory): lock resources
// exhausted (1204), deadlock victim (1205), lock timeout (1222), cannot open the database (4060),
// read-secondary login during a version transition (4221), and the Azure SQL service faults: service
// error (40143, 40197, 40540), service busy (40501), database unavailable (40613: reconfiguration,
// failover, serverless auto-resume), resource limits (10928, 10929), elastic pool limits (49918–49920)
// and Synapse pools paused or warming up (42108, 42109). Plus 3960, a snapshot update conflict in a
// caller's SNAPSHOT transaction: like a deadlock, the transaction is rolled back and rerunning it is
// the answer.
const TRANSIENT_NUMBERS = new Set([
  1204, 1205, 1222, 3960, 4060, 4221, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 42108, 42109, 49918, 49919,
  49920,
]);
// The driver's codes for a timed-out request or connection, a broken socket, and a closed connection.
const TRANSIENT_CODES = new Set(['ETIMEOUT', 'ESOCKET', 'ECONNCLOSED']);
// A login the server refused reaches the application as a ConnectionError with code ELOGIN, the server's
// message and no number: tedious keeps only the message of the error token (token/handler.js,
// Login7TokenHandler.onErrorMessage), and marks it isTransient only while it is about to retry the login
// itself. So the transient faults above that a login can meet are recognised by their message, as
// Microsoft words them (the server sends login errors in English unless the login's default language
// says otherwise).
const TRANSIENT_LOGIN_MESSAGES: readonly RegExp[] = [
  /\bis not currently available\b/i, // 40613
  /\bservice is currently busy\b/i, // 40501
  /\bservice has encountered an error processing your request\b/i, // 40143, 40197, 40540
  /\bcannot open database\b.*\brequested by the login\b/i, // 4060
  /\bResource ID\s*:\s*\d+\..*\blimit\b.*\bhas been reached\b/i, // 10928
  /\bserver is currently too busy to support requests\b/i, // 10929
  /\bHADR_DATABASE_WAIT_FOR_TRANSITION_TO_VERSIONING\b/, // 4221
  /\bSQL pool\b.*\b(?:is paused|since it is paused|is warming up)\b/i, // 42108, 42109
  /\bcannot process (?:create or update )?request\b/i, // 49918, 49919, 49920
];

interface DriverErrorShape {
  number?: unknown;
  code?: unknown;
  procName?: unknown;
  isTransient?: unknown;
  message?: unknown;
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
  // A duplicate key or a missing column inside the user's trigger is the trigger's own failure, not the
  // library's key already taken nor a missing migration: reported as it is.
  if (errors.some((inner) => UNIQUE_VIOLATION.has(numberOf(inner) ?? -1) && raisedByStatement(inner)))
    return 'unique-violation';
  if (errors.some((inner) => SCHEMA_MISSING.has(numberOf(inner) ?? -1) && raisedByStatement(inner)))
    return 'schema-missing';
  if (isTransientError(error)) return 'transient';
  return 'other';
}

/**
 * Whether an `mssql` error is a passing fault worth retrying: the faults Microsoft lists as transient
 * (1204, 1205, 1222, 4060, 4221, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 42108, 42109,
 * 49918–49920: deadlocks, lock timeouts, Azure SQL reconfiguration, failover, serverless resume and
 * throttling), a snapshot update conflict (3960), the driver's `ETIMEOUT` / `ESOCKET` / `ECONNCLOSED`,
 * and a login the server refused for one of those reasons: tedious reports that as a
 * `ConnectionError` with code `ELOGIN` and the server's message but no number, so it is recognised by
 * Microsoft's wording of the message. The error's `precedingErrors` and `originalError` are looked
 * through too.
 *
 * 4060 ("Cannot open database … requested by the login") is also what a misspelt database name
 * gives: it is retried like the others, within the retry policy's `maxAttempts`, and the last
 * attempt's error, which names the database, is the one thrown.
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
    if (isTransientLoginRefusal(inner)) return true;
    return inner.isTransient === true;
  });
}

/** A login the server refused for a passing reason: ELOGIN, no number, one of the messages above. */
function isTransientLoginRefusal(error: DriverErrorShape): boolean {
  if (error.code !== 'ELOGIN' || numberOf(error) !== undefined || typeof error.message !== 'string') return false;
  const message = error.message;
  return TRANSIENT_LOGIN_MESSAGES.some((pattern) => pattern.test(message));
}
