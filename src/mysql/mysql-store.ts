/**
 * `MysqlSessionStore`: the shared SQL core over the caller's `mysql2` pool (MySQL and MariaDB).
 *
 * @module
 */
import { InvalidArgumentError } from '../core/errors.js';
import { resolveNames, validateIdentifier } from '../core/identifiers.js';
import { SqlSessionStore, type ExecuteResult, type SqlDriver } from '../core/sql-store.js';
import { ConnectionQueue } from '../core/transaction.js';
import type { TableOptions } from '../core/types.js';
import { classifyMysqlError } from './mysql-errors.js';
import { mysqlStatements, type MysqlQuery, type MysqlStatement } from './mysql-statements.js';

/**
 * The slice of a `mysql2` pool, connection or pool connection the store accepts: either API. A
 * callback-API object (from `mysql2`) has `promise()`, which the store calls once to get the promise
 * API; a promise-API object (from `mysql2/promise`) is used as it is. The type is declared here so the
 * library does not depend on `mysql2`'s types.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * const pool: MysqlQueryable = mysql.createPool(process.env.DATABASE_URL!);
 * ```
 */
export interface MysqlQueryable {
  /** Runs a prepared statement (`execute(sql, values)`). */
  execute(...args: never[]): unknown;
  /** Runs a text statement (`query(sql)`). */
  query(...args: never[]): unknown;
  /** The promise API of a callback-API pool or connection. */
  promise?(...args: never[]): unknown;
  /** Checks out a connection (pools only). */
  getConnection?(...args: never[]): unknown;
}

/** The promise API of one connection, as `mysql2/promise` has it. */
interface PromiseConnection {
  execute(sql: string, values: unknown[]): Promise<[unknown, unknown]>;
  query(sql: string): Promise<[unknown, unknown]>;
}

/** A connection checked out of a promise-API pool. */
interface PromisePoolConnection extends PromiseConnection {
  release(): void;
  destroy(): void;
}

/** The promise API of a pool. */
interface PromisePool extends PromiseConnection {
  getConnection(): Promise<PromisePoolConnection>;
}

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

function isQueryable(value: unknown): value is MysqlQueryable {
  const candidate = value as Partial<MysqlQueryable> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.execute === 'function' && typeof candidate.query === 'function';
}

function isPoolLike(value: MysqlQueryable): boolean {
  return typeof value.getConnection === 'function';
}

/** The promise API of a pool or connection of either API. */
export function promiseApi<T>(value: MysqlQueryable): T {
  return (typeof value.promise === 'function' ? value.promise() : value) as T;
}

/**
 * The rows a statement matched: a SELECT's rows; an UPDATE's "Rows matched" from the server's info
 * text, which counts a row whose values did not change even when the pool turned `CLIENT_FOUND_ROWS`
 * off (`flags: '-FOUND_ROWS'`), where `affectedRows` would count it as untouched; else `affectedRows`.
 */
function toResult(result: unknown): ExecuteResult {
  if (Array.isArray(result)) return { rows: result as Record<string, unknown>[], rowCount: result.length };
  const header = result as { affectedRows?: unknown; info?: unknown };
  const matched = typeof header.info === 'string' ? /Rows matched:\s*(\d+)/i.exec(header.info) : null;
  if (matched !== null) return { rows: [], rowCount: Number(matched[1]) };
  return { rows: [], rowCount: typeof header.affectedRows === 'number' ? header.affectedRows : 0 };
}

async function run(connection: PromiseConnection, query: MysqlQuery): Promise<ExecuteResult> {
  const [result] = await connection.execute(query.sql, query.values as unknown[]);
  return toResult(result);
}

/** A statement with its `before`/`after` reads, on a connection inside a transaction. */
async function runWithReads(connection: PromiseConnection, statement: MysqlStatement): Promise<ExecuteResult> {
  const before = statement.before === undefined ? undefined : await run(connection, statement.before);
  const written = await run(connection, statement);
  if (written.rowCount === 0) return { rows: [], rowCount: 0 };
  const after = statement.after === undefined ? before : await run(connection, statement.after);
  return { rows: after?.rows ?? [], rowCount: written.rowCount };
}

/**
 * Runs `work` between START TRANSACTION and COMMIT on `connection`; on any failure it rolls back and
 * rethrows nothing: the outcome says whether it committed, and `healthy` false when the rollback itself
 * failed, so the connection is not reused.
 */
async function inTransaction<T>(connection: PromiseConnection, work: () => Promise<T>): Promise<{ value: T } | { error: unknown; healthy: boolean }> {
  await connection.query('START TRANSACTION');
  try {
    const value = await work();
    await connection.query('COMMIT');
    return { value };
  } catch (error) {
    const healthy = await connection.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    return { error, healthy };
  }
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
export class MysqlSessionStore extends SqlSessionStore<MysqlStatement> {
  /**
   * Validates and quotes the configured names; the pool is not used until the first call.
   *
   * @throws InvalidArgumentError when `pool` is not a mysql2 pool or connection, or a name is not a
   *   plain identifier.
   */
  constructor(options: MysqlSessionStoreOptions) {
    if (typeof options !== 'object' || options === null || !isQueryable(options.pool)) {
      throw new InvalidArgumentError('pool', 'expected a mysql2 pool or connection (mysql.createPool(…) from mysql2 or mysql2/promise).');
    }
    const { database, pool: given, ...tableOptions } = options;
    if (database !== undefined) {
      validateIdentifier('mysql', 'database', database);
      if (tableOptions.schema !== undefined && tableOptions.schema !== database) {
        throw new InvalidArgumentError('database', `"${database}" differs from schema "${String(tableOptions.schema)}": they name the same database; give one.`);
      }
    }
    const names = resolveNames('mysql', { ...tableOptions, ...(database === undefined ? {} : { schema: database }) });
    const pooled = isPoolLike(given);
    const pool = promiseApi<PromisePool>(given);
    // Only a single connection needs the queue; a pool gives each transaction a connection of its own.
    const queue = pooled ? undefined : new ConnectionQueue();
    const transactionOn = async <T>(connection: PromiseConnection, work: (connection: PromiseConnection) => Promise<T>): Promise<T> => {
      if (!pooled) {
        const outcome = await inTransaction(connection, () => work(connection));
        if ('error' in outcome) throw outcome.error;
        return outcome.value;
      }
      const checkedOut = await pool.getConnection();
      const outcome = await inTransaction(checkedOut, () => work(checkedOut)).catch((error: unknown) => ({ error, healthy: false }));
      // A connection whose rollback failed (it died mid-transaction) goes, instead of back to the pool.
      if ('error' in outcome && !outcome.healthy) checkedOut.destroy();
      else checkedOut.release();
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    };
    const ownTransaction = <T>(work: (connection: PromiseConnection) => Promise<T>): Promise<T> =>
      queue === undefined ? transactionOn(pool, work) : queue.run(() => transactionOn(pool, work));
    const driver: SqlDriver<MysqlStatement> = {
      dialect: 'mysql',
      execute(statement, transaction): Promise<ExecuteResult> {
        const reads = statement.before !== undefined || statement.after !== undefined;
        if (transaction !== undefined) {
          const connection = transaction as PromiseConnection;
          return reads ? runWithReads(connection, statement) : run(connection, statement);
        }
        if (reads) return ownTransaction((connection) => runWithReads(connection, statement));
        return queue === undefined ? run(pool, statement) : queue.run(() => run(pool, statement));
      },
      transaction: (work) => ownTransaction(work),
      adoptTransaction(transaction) {
        if (!isQueryable(transaction) || isPoolLike(transaction)) {
          throw new InvalidArgumentError(
            'options.transaction',
            'expected the mysql2 connection on which you began a transaction ' +
              '(const connection = await pool.getConnection(); await connection.beginTransaction()), not a pool: ' +
              'a pool runs each statement on whichever connection is free, outside your transaction.',
          );
        }
        return promiseApi<PromiseConnection>(transaction);
      },
      classifyError: classifyMysqlError,
    };
    super(names, mysqlStatements(names), driver);
  }
}
