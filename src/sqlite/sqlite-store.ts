/**
 * `SqliteSessionStore`: the shared SQL core over the caller's `better-sqlite3` database.
 *
 * @module
 */
import { expectBoolean, expectInteger, expectThat } from '../core/validate.js';
import { SqlSessionStore } from '../core/sql/sql-session-store.js';
import { resolveNames, type TableOptions } from '../core/sql/table-names.js';
import { SqliteDriver, isSqliteDatabase, type SqliteDatabase } from './sqlite-driver.js';
import { sqliteStatements, type SqliteStatement } from './sqlite-statements.js';

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
export class SqliteSessionStore extends SqlSessionStore<SqliteStatement, SqliteDatabase> {
  /**
   * Validates and quotes the configured names, then sets the busy timeout and (for a file) WAL on
   * `database`.
   *
   * @throws InvalidArgumentError when `database` is not a better-sqlite3 database, an option is out of
   *   range, or a name is not a plain identifier.
   */
  constructor(options: SqliteSessionStoreOptions) {
    // No options at all is named after what is missing first: the database.
    expectThat(isSqliteDatabase(options?.database), 'database', 'be a better-sqlite3 Database', options?.database);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    expectInteger('busyTimeoutMs', busyTimeoutMs, { min: 0 });
    expectBoolean('wal', options.wal, { optional: true });
    const names = resolveNames('sqlite', options);
    super(
      names,
      sqliteStatements(names),
      new SqliteDriver(options.database, { busyTimeoutMs, wal: options.wal !== false }),
    );
  }
}
