/**
 * `SqliteSessionStore`: the shared SQL core over the caller's `better-sqlite3` database.
 *
 * @module
 */
import { InvalidArgumentError } from '../core/errors.js';
import { resolveNames } from '../core/identifiers.js';
import { SqlSessionStore, type ExecuteResult, type SqlDriver } from '../core/sql-store.js';
import { ConnectionQueue, runTransaction, statementControl } from '../core/transaction.js';
import type { TableOptions } from '../core/types.js';
import { classifySqliteError } from './sqlite-errors.js';
import { sqliteStatements, sqliteTransactionStatements, type SqliteStatement } from './sqlite-statements.js';

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

/**
 * Options of {@link SqliteSessionStore}.
 *
 * @example
 * ```ts
 * const options: SqliteSessionStoreOptions = { database: new Database('sessions.db'), busyTimeoutMs: 5000 };
 * ```
 */
export interface SqliteSessionStoreOptions extends Omit<TableOptions, 'schema'> {
  /** The caller's `better-sqlite3` database. The store never closes it. */
  readonly database: SqliteDatabase;
  /**
   * How long a statement waits for another connection's write lock before failing with SQLITE_BUSY.
   * @defaultValue 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * Switch a file database to WAL, so readers never wait for the writer and several processes can
   * share it. Set `false` to leave the journal mode as it is.
   * @defaultValue true
   */
  readonly wal?: boolean;
}

function isDatabase(value: unknown): value is SqliteDatabase {
  return typeof value === 'object' && value !== null && typeof (value as SqliteDatabase).prepare === 'function';
}

/**
 * Sessions in SQLite through `better-sqlite3`: the embedded default for the demo and local
 * development. A plain write is a single statement; an update with an `idempotencyKey` is a
 * `BEGIN IMMEDIATE` transaction. The database is one connection with one transaction state, so the
 * store runs its operations on it one at a time: an async operation never lands inside another's
 * transaction.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { SessionRepository } from 'versioned-sessions';
 * import { SqliteSessionStore } from 'versioned-sessions/sqlite';
 *
 * const sessions = new SessionRepository({ store: new SqliteSessionStore({ database: new Database('sessions.db') }) });
 * ```
 */
export class SqliteSessionStore extends SqlSessionStore<SqliteStatement> {
  /**
   * Validates and quotes the configured names, then sets the busy timeout and (for a file) WAL on
   * `database`.
   *
   * @throws InvalidArgumentError when `database` is not a better-sqlite3 database, an option is out of
   *   range, or a name is not a plain identifier.
   */
  constructor(options: SqliteSessionStoreOptions) {
    if (typeof options !== 'object' || options === null || !isDatabase(options.database)) {
      throw new InvalidArgumentError('database', 'expected a better-sqlite3 Database.');
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new InvalidArgumentError('busyTimeoutMs', `expected a non-negative integer, got ${String(busyTimeoutMs)}.`);
    }
    if (options.wal !== undefined && typeof options.wal !== 'boolean') {
      throw new InvalidArgumentError('wal', 'expected a boolean.');
    }
    const names = resolveNames('sqlite', options);
    const database = options.database;
    database.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (options.wal !== false && !database.memory) database.pragma('journal_mode = WAL');
    const prepared = new Map<string, SqlitePrepared>();
    const executeNow = (statement: SqliteStatement): Promise<ExecuteResult> => {
      try {
        let compiled = prepared.get(statement.sql);
        if (compiled === undefined) {
          compiled = database.prepare(statement.sql);
          prepared.set(statement.sql, compiled);
        }
        if (compiled.reader) {
          const rows = compiled.all(statement.params) as Record<string, unknown>[];
          return Promise.resolve({ rows, rowCount: rows.length });
        }
        return Promise.resolve({ rows: [], rowCount: compiled.run(statement.params).changes });
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const queue = new ConnectionQueue();
    const driver: SqlDriver<SqliteStatement> = {
      dialect: 'sqlite',
      // With a handle the statement belongs to a transaction that already holds the connection.
      execute: (statement, transaction) =>
        transaction === undefined ? queue.run(() => executeNow(statement)) : executeNow(statement),
      transaction: (work) =>
        queue.run(() =>
          runTransaction(statementControl(executeNow, sqliteTransactionStatements), () => work(database)),
        ),
      adoptTransaction(transaction) {
        if (transaction !== database) {
          throw new InvalidArgumentError(
            'options.transaction',
            'expected the better-sqlite3 Database this store was created with, inside a transaction you began on it.',
          );
        }
        if (!database.inTransaction) {
          throw new InvalidArgumentError(
            'options.transaction',
            "the database has no open transaction: run database.exec('BEGIN IMMEDIATE') first and COMMIT or ROLLBACK " +
              'after the last awaited call (an async function inside database.transaction() cannot work: it commits ' +
              'when the function returns its promise, before the awaited statements run).',
          );
        }
        return database;
      },
      classifyError: classifySqliteError,
    };
    super(names, sqliteStatements(names), driver);
  }
}
