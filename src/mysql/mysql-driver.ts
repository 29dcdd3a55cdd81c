/**
 * `MysqlDriver`: runs MySQL / MariaDB statements through the caller's `mysql2` pool or connection
 * (either API), alone or in a transaction of the store's own, and adopts a caller's transaction. The
 * `mysql2` slices the library calls are declared here so it does not depend on `mysql2`'s types.
 *
 * @module
 */
import type { ErrorKind, ExecuteResult, SqlDriver } from '../core/sql/dialect-contract.js';
import { ConnectionQueue, adoptedTransaction } from '../core/sql/transaction.js';
import { classifyMysqlError } from './mysql-errors.js';
import type { MysqlQuery, MysqlStatement } from './mysql-statements.js';

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

/**
 * The promise API of one connection, as `mysql2/promise` has it: what a statement runs on inside a
 * transaction (the transaction handle).
 *
 * @example
 * ```ts
 * const connection: MysqlConnection = await pool.getConnection();
 * ```
 */
export interface MysqlConnection {
  /** Runs a prepared statement and resolves `[rows or result header, fields]`. */
  execute(sql: string, values: unknown[]): Promise<[unknown, unknown]>;
  /** Runs a text statement (`START TRANSACTION`, `COMMIT`, `ROLLBACK`). */
  query(sql: string): Promise<[unknown, unknown]>;
}

/** A connection checked out of a promise-API pool. */
interface MysqlPoolConnection extends MysqlConnection {
  release(): void;
  destroy(): void;
}

/** The promise API of a pool. */
interface MysqlPromisePool extends MysqlConnection {
  getConnection(): Promise<MysqlPoolConnection>;
}

/** Whether `value` has `mysql2`'s `execute` and `query`: a pool, a connection or a pool connection. */
export function isMysqlQueryable(value: unknown): value is MysqlQueryable {
  const candidate = value as Partial<MysqlQueryable> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.execute === 'function' &&
    typeof candidate.query === 'function'
  );
}

/** A pool hands out a connection per transaction; a single connection is shared, behind a queue. */
export function isMysqlPool(value: MysqlQueryable): boolean {
  return typeof value.getConnection === 'function';
}

/** The promise API of a pool or connection of either API. */
function promiseApi<T>(value: MysqlQueryable): T {
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

async function run(connection: MysqlConnection, query: MysqlQuery): Promise<ExecuteResult> {
  const [result] = await connection.execute(query.sql, query.values as unknown[]);
  return toResult(result);
}

/** A statement with its `before`/`after` reads, on a connection inside a transaction. */
async function runWithReads(connection: MysqlConnection, statement: MysqlStatement): Promise<ExecuteResult> {
  const before = statement.before === undefined ? undefined : await run(connection, statement.before);
  const written = await run(connection, statement);
  if (written.rowCount === 0) return { rows: [], rowCount: 0 };
  const after = statement.after === undefined ? before : await run(connection, statement.after);
  return { rows: after?.rows ?? [], rowCount: written.rowCount };
}

function readsToo(statement: MysqlStatement): boolean {
  return statement.before !== undefined || statement.after !== undefined;
}

/**
 * Runs `work` between START TRANSACTION and COMMIT on `connection`. It rethrows nothing: the outcome
 * says whether it committed, and `healthy` is false when the rollback itself failed, so that the
 * connection is not reused.
 */
async function inTransaction<T>(
  connection: MysqlConnection,
  work: () => Promise<T>,
): Promise<{ value: T } | { error: unknown; healthy: boolean }> {
  try {
    await connection.query('START TRANSACTION');
  } catch (error) {
    return { error, healthy: false };
  }
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
 * Runs statements on a `mysql2` pool or a single connection. A transaction's handle is the one
 * connection it runs on. A write that returns its row (`before`/`after` reads) runs with its read in
 * one transaction of its own, or in the caller's.
 */
export class MysqlDriver implements SqlDriver<MysqlStatement, MysqlConnection> {
  readonly dialect = 'mysql';
  /**
   * A pool gives each transaction a connection of its own; a single connection has one transaction
   * state, so everything the store runs on it goes through one queue.
   */
  private readonly connection:
    { readonly pool: MysqlPromisePool } | { readonly client: MysqlConnection; readonly queue: ConnectionQueue };

  constructor(connection: MysqlQueryable) {
    this.connection = isMysqlPool(connection)
      ? { pool: promiseApi<MysqlPromisePool>(connection) }
      : { client: promiseApi<MysqlConnection>(connection), queue: new ConnectionQueue() };
  }

  execute(statement: MysqlStatement, transaction?: MysqlConnection): Promise<ExecuteResult> {
    if (transaction !== undefined)
      return readsToo(statement) ? runWithReads(transaction, statement) : run(transaction, statement);
    if (readsToo(statement)) return this.transaction((connection) => runWithReads(connection, statement));
    const connection = this.connection;
    if ('pool' in connection) return run(connection.pool, statement);
    return connection.queue.run(() => run(connection.client, statement));
  }

  async transaction<T>(work: (handle: MysqlConnection) => Promise<T>): Promise<T> {
    const connection = this.connection;
    if (!('pool' in connection)) {
      return connection.queue.run(async () => {
        const outcome = await inTransaction(connection.client, () => work(connection.client));
        if ('error' in outcome) throw outcome.error;
        return outcome.value;
      });
    }
    const checkedOut = await connection.pool.getConnection();
    const outcome = await inTransaction(checkedOut, () => work(checkedOut));
    // A connection whose rollback failed (it died mid-transaction) goes, instead of back to the pool.
    if ('error' in outcome && !outcome.healthy) checkedOut.destroy();
    else checkedOut.release();
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  adoptTransaction(transaction: unknown): MysqlConnection {
    const connection = adoptedTransaction(
      transaction,
      (value): value is MysqlQueryable => isMysqlQueryable(value) && !isMysqlPool(value),
      'be the mysql2 connection on which you began a transaction ' +
        '(const connection = await pool.getConnection(); await connection.beginTransaction()), not a pool',
      'A pool runs each statement on whichever connection is free, outside your transaction.',
    );
    return promiseApi<MysqlConnection>(connection);
  }

  classifyError(error: unknown): ErrorKind {
    return classifyMysqlError(error);
  }
}
