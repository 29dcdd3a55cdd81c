/**
 * `SqliteDriver`: runs SQLite statements on the caller's `better-sqlite3` database, one operation at a
 * time, and adopts a caller's transaction. The `better-sqlite3` slices the library calls are declared
 * here so it does not depend on its types.
 *
 * @module
 */
import { invalidArgument } from '../core/validate.js';
import type { ErrorKind, ExecuteResult, SqlDriver } from '../core/sql/dialect-contract.js';
import { ConnectionQueue, adoptedTransaction, runTransaction, statementControl } from '../core/sql/transaction.js';
import { classifySqliteError } from './sqlite-errors.js';
import { sqliteTransactionStatements, type SqliteStatement } from './sqlite-statements.js';

/**
 * The slice of a prepared `better-sqlite3` statement the store calls.
 *
 * @example
 * ```ts
 * const prepared: SqlitePrepared = database.prepare('SELECT 1 AS one');
 * ```
 */
export interface SqlitePrepared {
  /** Whether the statement returns rows. */
  readonly reader: boolean;
  /** Runs a statement that returns rows and returns them all. */
  all(params: Record<string, unknown>): unknown[];
  /** Runs a statement that returns no rows. */
  run(params: Record<string, unknown>): {
    /** How many rows it inserted, updated or deleted. */
    changes: number;
  };
}

/**
 * The slice of a `better-sqlite3` `Database` the store calls; declared here so the library does not
 * depend on its types.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * const database: SqliteDatabase = new Database('sessions.db');
 * ```
 */
export interface SqliteDatabase {
  /** Whether the database is in memory (WAL is not set on those). */
  readonly memory: boolean;
  /** Whether a transaction is open on this connection (a caller's transaction must be). */
  readonly inTransaction: boolean;
  /** Compiles a statement; the store caches what it compiles. */
  prepare(sql: string): SqlitePrepared;
  /** Runs a PRAGMA: the store sets `busy_timeout` and, for files, `journal_mode = WAL`. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** Whether `value` has `better-sqlite3`'s `prepare` method. */
export function isSqliteDatabase(value: unknown): value is SqliteDatabase {
  return typeof value === 'object' && value !== null && typeof (value as SqliteDatabase).prepare === 'function';
}

/**
 * Runs statements on one `better-sqlite3` database. The database is one connection with one
 * transaction state, so every operation goes through one queue; a transaction's handle is the
 * database itself.
 */
export class SqliteDriver implements SqlDriver<SqliteStatement, SqliteDatabase> {
  readonly dialect = 'sqlite';
  private readonly prepared = new Map<string, SqlitePrepared>();
  private readonly queue = new ConnectionQueue();

  /** Sets the busy timeout and, for a file database when `wal` is set, WAL on `database`. */
  constructor(
    private readonly database: SqliteDatabase,
    settings: { readonly busyTimeoutMs: number; readonly wal: boolean },
  ) {
    database.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
    if (settings.wal && !database.memory) database.pragma('journal_mode = WAL');
  }

  // With a handle the statement belongs to a transaction that already holds the connection. Without
  // one it waits for the operations queued before it; when there are none and no transaction is open
  // it runs at once (a statement runs synchronously, so it is done before anything else can start).
  // A transaction open without a handle is not ours to join: the statement waits a turn, as it always
  // did, e.g. for a database.transaction() whose function returned this call's promise to roll back.
  execute(statement: SqliteStatement, transaction?: SqliteDatabase): Promise<ExecuteResult> {
    if (transaction !== undefined || (this.queue.idle && !this.database.inTransaction)) {
      return this.executeNow(statement);
    }
    return this.queue.run(() => this.executeNow(statement));
  }

  transaction<T>(work: (handle: SqliteDatabase) => Promise<T>): Promise<T> {
    const control = statementControl(
      (statement: SqliteStatement) => this.executeNow(statement),
      sqliteTransactionStatements,
    );
    return this.queue.run(() => runTransaction(control, () => work(this.database)));
  }

  adoptTransaction(transaction: unknown): SqliteDatabase {
    const database = adoptedTransaction(
      transaction,
      (value): value is SqliteDatabase => value === this.database,
      'be the better-sqlite3 Database this store was created with',
      'Pass it inside a transaction you began on it.',
    );
    if (!database.inTransaction) {
      throw invalidArgument('options.transaction', 'have an open transaction', 'a database without one', {
        hint:
          "Run database.exec('BEGIN IMMEDIATE') first and COMMIT or ROLLBACK after the last awaited call (an async " +
          'function inside database.transaction() cannot work: it commits when the function returns its promise, ' +
          'before the awaited statements run).',
      });
    }
    return database;
  }

  classifyError(error: unknown): ErrorKind {
    return classifySqliteError(error);
  }

  /** Runs one statement now, compiling it once per store; a driver error becomes a rejection. */
  private executeNow(statement: SqliteStatement): Promise<ExecuteResult> {
    try {
      let compiled = this.prepared.get(statement.sql);
      if (compiled === undefined) {
        compiled = this.database.prepare(statement.sql);
        this.prepared.set(statement.sql, compiled);
      }
      if (compiled.reader) {
        const rows = compiled.all(statement.params) as Record<string, unknown>[];
        return Promise.resolve({ rows, rowCount: rows.length });
      }
      return Promise.resolve({ rows: [], rowCount: compiled.run(statement.params).changes });
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
