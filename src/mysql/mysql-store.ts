/**
 * `MysqlSessionStore`: the shared SQL core over the caller's `mysql2` pool (MySQL and MariaDB).
 *
 * @module
 */
import { expectThat, invalidArgument } from '../core/validate.js';
import { SqlSessionStore } from '../core/sql/sql-session-store.js';
import { resolveNames, validateIdentifier, type TableOptions } from '../core/sql/table-names.js';
import { MysqlDriver, isMysqlQueryable, type MysqlConnection, type MysqlQueryable } from './mysql-driver.js';
import { mysqlStatements, type MysqlStatement } from './mysql-statements.js';

/**
 * Options of {@link MysqlSessionStore}.
 *
 * @example
 * ```ts
 * const options: MysqlSessionStoreOptions = { pool, database: 'bot', table: 'sessions' };
 * ```
 */
export interface MysqlSessionStoreOptions extends TableOptions {
  /**
   * The caller's `mysql2` pool (recommended; `mysql2` or `mysql2/promise`), or one connection. The
   * store never ends it. A write that returns its row, and an update with an `idempotencyKey`, runs as
   * a short transaction on a connection checked out of the pool. A single connection has one
   * transaction state, so the store queues its own operations on it: they run one at a time.
   */
  readonly pool: MysqlQueryable;
  /**
   * The database holding the tables; `schema` is accepted as its other name, the one `migrate` and the
   * CLI (`--schema`) use.
   * @defaultValue the connection's current database (the one in its URL)
   */
  readonly database?: string;
}

/**
 * Sessions in MySQL 8 and MariaDB 10.5+ through `mysql2`. A read, a delete and an unreturning write
 * are one prepared statement; a write that returns its row is that statement and a read of the row in
 * one short transaction, so the row returned is exactly the one this write committed.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * import { SessionRepository } from 'versioned-sessions';
 * import { MysqlSessionStore } from 'versioned-sessions/mysql';
 *
 * const pool = mysql.createPool(process.env.DATABASE_URL!);
 * const sessions = new SessionRepository({ store: new MysqlSessionStore({ pool }) });
 * ```
 */
export class MysqlSessionStore extends SqlSessionStore<MysqlStatement, MysqlConnection> {
  /**
   * Validates and quotes the configured names; the pool is not used until the first call.
   *
   * @throws InvalidArgumentError when `pool` is not a mysql2 pool or connection, `database` and
   *   `schema` differ, or a name is not a plain identifier.
   */
  constructor(options: MysqlSessionStoreOptions) {
    // No options at all is named after what is missing first: the pool.
    expectThat(
      isMysqlQueryable(options?.pool),
      'pool',
      'be a mysql2 pool or connection (mysql.createPool(…) from mysql2 or mysql2/promise)',
      options?.pool,
    );
    const { database, pool, ...tableOptions } = options;
    if (database !== undefined) {
      validateIdentifier('mysql', 'database', database);
      if (tableOptions.schema !== undefined && tableOptions.schema !== database) {
        throw invalidArgument('database', 'equal `schema` when both are given', 'a different name', {
          hint: 'They name the same database: give one.',
        });
      }
    }
    const names = resolveNames('mysql', { ...tableOptions, ...(database === undefined ? {} : { schema: database }) });
    super(names, mysqlStatements(names), new MysqlDriver(pool));
  }
}
