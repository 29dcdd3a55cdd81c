/**
 * What a SQL dialect provides to the shared store ({@link SqlSessionStore}): its statements
 * ({@link SessionStatements}), a driver that runs them alone or in a transaction ({@link SqlDriver}),
 * and a classification of its errors ({@link ErrorKind}). Everything else (conditional writes,
 * conflict vs missing, exactly-once, schema checks) is the shared store's; see docs/architecture.md.
 *
 * @module
 */
import type { Dialect } from '../dialect.js';
import type { SessionPageQuery, StoredChanges } from '../session-store.js';

/**
 * A session row as every dialect's statements return it: the columns aliased to these names.
 * A statement that classifies a failed write in the same batch (SQL Server) also returns `outcome`.
 */
export interface SessionRow {
  session_key: string;
  session_state: string | null;
  session_data: unknown;
  session_version: number | string | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
  outcome?: 'done' | 'conflict' | 'missing';
}

/**
 * The row `readWithProcessed` returns, and `updateOnce` when it did not write: the session's columns
 * ({@link SessionRow}, all `null` when the key has no session) and the key's record of the operation
 * id under these names (all `null` when the id is not recorded for the key). `updateOnce` adds
 * `outcome`: `'done'` (the written session), `'conflict'` (`session_version` is the stored version),
 * `'missing'`, or `'duplicate'` (the `processed_*` columns are the record).
 */
export interface SessionWithProcessedRow extends Omit<SessionRow, 'outcome'> {
  processed_id: string | null;
  processed_version: number | string | null;
  processed_snapshot: string | null;
  processed_token: string | null;
  processed_at: Date | string | null;
  outcome?: 'done' | 'conflict' | 'missing' | 'duplicate';
}

/** What `updateOnce` writes: the versioned update and the record of its operation id. */
export interface OnceWrite {
  readonly key: string;
  readonly changes: StoredChanges;
  /** The version predicate; `null` writes unconditionally. */
  readonly expectedVersion: number | null;
  /** The operation id, recorded for `key`. */
  readonly id: string;
  /** This call's commit token, recorded with the id. */
  readonly commitToken: string;
  /**
   * Whether the statement runs outside any transaction and so must be atomic on its own (`true`), or
   * inside the caller's transaction, which it must neither begin nor end (`false`).
   */
  readonly ownTransaction: boolean;
}

/** The result of executing one statement. */
export interface ExecuteResult {
  readonly rows: readonly Record<string, unknown>[];
  readonly rowCount: number;
}

/**
 * How a driver error is understood by the core. `transient` is a passing fault (a dropped connection,
 * a deadlock, a busy database) that an idempotent operation may retry.
 */
export type ErrorKind = 'unique-violation' | 'schema-missing' | 'transient' | 'other';

/**
 * The SQL of one dialect, built once per store from its validated, quoted names. Each method returns
 * a statement in the dialect's own shape (`TStatement`), which only its driver executes.
 */
export interface SessionStatements<TStatement> {
  /** One session row, or none. */
  select(key: string): TStatement;
  /**
   * Up to `limit` rows' `session_key` and `session_data`, in key order, after `afterKey` (from the
   * first key when `null`): how `verifySchema({ data: true })` reads every row's data.
   */
  selectDataPage(afterKey: string | null, limit: number): TStatement;
  /** The stored version (`session_version`) of one key, or no row. */
  selectVersion(key: string): TStatement;
  /** Inserts the key unless it exists and returns the stored row (or no row when it existed). */
  insertIfAbsent(key: string, state: string | null, dataJson: string): TStatement;
  /**
   * Writes the changes and bumps the version, with the version predicate in the UPDATE's own WHERE
   * when `expectedVersion` is a number. Returns the written row; a dialect that classifies in the same
   * batch returns a row with `outcome` instead when nothing was written.
   */
  update(key: string, changes: StoredChanges, expectedVersion: number | null): TStatement;
  /**
   * Deletes the key, conditionally on `expectedVersion` unless it is `null`; `rowCount` says whether it
   * did. A dialect that classifies a refused delete in the same batch returns a row with `outcome`.
   */
  delete(key: string, expectedVersion: number | null): TStatement;
  /**
   * `lockingMode: 'observe'`: writes the changes unconditionally and bumps the version, returning the
   * written row plus `previous_version`, the version this very statement replaced (no row when the
   * key is missing). Read by the write itself, never by a separate SELECT, so a concurrent writer
   * cannot slip between the read and the write and make the detection wrong.
   */
  observedUpdate(key: string, changes: StoredChanges): TStatement;
  /** `lockingMode: 'observe'`: deletes unconditionally, returning `previous_version` of the deleted row. */
  observedDelete(key: string): TStatement;
  /** Sets the last-activity time only; `rowCount` says whether the key existed. */
  touch(key: string): TStatement;
  /** The names of the sessions table's columns (`column_name`); no rows when the table is missing. */
  sessionColumns(): TStatement;
  /** The names of the processed-operations table's columns (`column_name`). */
  processedColumns(): TStatement;
  /**
   * Records an operation id unless present, for session `key` when it is not `null`; `rowCount` 1 when
   * it was new.
   */
  insertProcessed(id: string, key: string | null): TStatement;
  /**
   * The session of `key` and the record of operation `id` for that key, in one statement that touches
   * that key's rows only: always exactly one {@link SessionWithProcessedRow}.
   */
  readWithProcessed(key: string, id: string): TStatement;
  /**
   * The exactly-once write in one statement (one batch): the versioned update, unless `id` is recorded
   * for the key, and, when it wrote, the record of `id` with the committed version, a snapshot of the
   * written session (JSON with `state`, `dataJson`, `createdAt`, `updatedAt`) and the commit token,
   * atomic together. Returns one {@link SessionWithProcessedRow} with `outcome`. A concurrent record of
   * the same id may end it as a unique violation, having written nothing. Touches `key`'s rows only.
   * Without it, the core runs `updateUnlessProcessed` and `insertProcessedRecord` in a transaction.
   */
  updateOnce?(write: OnceWrite): TStatement;
  /**
   * `update`, but writing nothing when `id` is recorded for `key` (checked in the same statement).
   * For dialects without `updateOnce`.
   */
  updateUnlessProcessed?(key: string, changes: StoredChanges, expectedVersion: number | null, id: string): TStatement;
  /**
   * Inserts the record of `id` for `key` with its commit token, version and snapshot: a plain insert,
   * a recorded id is a unique violation. For dialects without `updateOnce`.
   */
  insertProcessedRecord?(
    id: string,
    key: string,
    commitToken: string,
    version: number,
    snapshotJson: string,
  ): TStatement;
  /** One row when the operation id is recorded. */
  selectProcessed(id: string): TStatement;
  /**
   * The processed-operations row of `id` (`id`, `session_key`, `session_version`, `session_snapshot`,
   * `commit_token`, `processed_at`), or none.
   */
  selectProcessedRecord(id: string): TStatement;
  /** Records `id` for `key` with `commitToken` unless present; `rowCount` 1 when it was new. */
  claimProcessed(id: string, key: string, commitToken: string): TStatement;
  /** Stores the committed version and snapshot with the claim `id`/`commitToken`. */
  recordProcessed(id: string, commitToken: string, version: number, snapshotJson: string): TStatement;
  /** Deletes the claim `id`/`commitToken`. */
  releaseProcessed(id: string, commitToken: string): TStatement;
  /** Deletes operation ids recorded before `olderThan`; `rowCount` says how many. */
  deleteProcessedBefore(olderThan: Date): TStatement;
  /**
   * Up to `limit` session rows whose last-activity time is before `idleBefore`, in the state list when
   * one is given (each state its own parameter), ordered by last-activity time, then key.
   */
  selectIdle(idleBefore: Date, states: readonly string[] | null, limit: number): TStatement;
  /**
   * Up to `query.limit` session rows in the state list when one is given, last activity at or after
   * `updatedAfter` and before `updatedBefore` when given, and after `query.after` in (last-activity
   * time, key) order, ordered by last-activity time, then key: a keyset page, never an OFFSET. Each row
   * also carries `page_time`, its last-activity time as the database renders it, which compared back
   * with the column (as `query.after.time`) is exact at the column's own precision.
   */
  selectPage(query: SessionPageQuery): TStatement;
  /**
   * Deletes up to `limit` sessions whose last-activity time is before `olderThan` (in the state list
   * when one is given) in one short statement; `rowCount` says how many. The time predicate is in the
   * DELETE's own WHERE, so a session written after the rows were chosen is not deleted.
   */
  deleteStale(olderThan: Date, states: readonly string[] | null, limit: number): TStatement;
  /**
   * History on: the key's `session_state` and `session_version`, read so that no other writer can
   * change the row until the transaction ends (`FOR UPDATE`, `UPDLOCK`; SQLite's write lock is the
   * transaction's own).
   */
  lockRow(key: string): TStatement;
  /** History on: records one transition. */
  insertHistory(transition: HistoryRow): TStatement;
  /**
   * Up to `limit` transitions of `key` (`session_key`, `session_version`, `previous_state`, `state`,
   * `origin`, `reason`, `changed_at`), highest version first, below `before` when it is a number.
   */
  selectHistory(key: string, limit: number, before: number | null): TStatement;
  /** Deletes transitions recorded before `olderThan`; `rowCount` says how many. */
  deleteHistoryBefore(olderThan: Date): TStatement;
  /** The names of the history table's columns (`column_name`). */
  historyColumns(): TStatement;
}

/** A transition as `insertHistory` writes it. */
export interface HistoryRow {
  readonly key: string;
  readonly version: number;
  readonly previousState: string | null;
  readonly state: string | null;
  readonly origin: string | null;
  readonly reason: string | null;
}

/** The `code` of a driver error when it is a string (a SQLSTATE, an SQLite code, a socket's `ECONNRESET`). */
export function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * What a dialect provides to the core: a way to run its statements, alone or in one transaction, and
 * to classify its errors. Each dialect implements it as a class in `<dialect>-driver.ts`.
 *
 * @typeParam TStatement - the dialect's statement shape, as its {@link SessionStatements} build it.
 * @typeParam THandle - what a statement runs on inside a transaction: the driver's own transaction
 *   object or the one connection that holds the transaction.
 */
export interface SqlDriver<TStatement, THandle> {
  readonly dialect: Dialect;
  /** Runs one statement, on the transaction handle when one is given. */
  execute(statement: TStatement, transaction?: THandle): Promise<ExecuteResult>;
  /**
   * Runs `work` in a transaction of the store's own on one connection and commits when it resolves;
   * `work` passes the handle it gets to `execute`.
   */
  transaction<T>(work: (handle: THandle) => Promise<T>): Promise<T>;
  /**
   * Checks a transaction the caller began with the driver itself and returns the handle `execute`
   * takes; throws `InvalidArgumentError` saying what to pass instead when it cannot be used.
   */
  adoptTransaction(transaction: unknown): THandle;
  /** How the core should understand one of the driver's errors. */
  classifyError(error: unknown): ErrorKind;
}
