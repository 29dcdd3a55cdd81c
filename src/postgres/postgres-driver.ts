/**
 * `PostgresDriver`: runs PostgreSQL statements through the caller's `pg.Pool` or `pg.Client`, alone
 * or in a transaction of the store's own, and adopts a caller's transaction. The `pg` slices the
 * library calls are declared here so it does not depend on `pg`'s types.
 *
 * @module
 */
import type { ErrorKind, ExecuteResult, SqlDriver } from '../core/sql/dialect-contract.js';
import { ConnectionQueue, adoptedTransaction, runTransaction, statementControl } from '../core/sql/transaction.js';
import { classifyPostgresError } from './postgres-errors.js';
import { postgresTransactionStatements, type PostgresStatement } from './postgres-statements.js';

/**
 * The slice of `pg` the store calls: `query` with a text and values. A `pg.Pool`, a `pg.Client` and a
 * `pg.PoolClient` all fit; the type is declared here so the library does not depend on `pg`'s types.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PostgresQueryable = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PostgresQueryable {
  /** Runs one parameterised statement, as `pg`'s `query({ text, values })` does. */
  query(config: { text: string; values?: unknown[] }): Promise<{
    /** The rows returned, keyed by column name. */
    rows: Record<string, unknown>[];
    /** The rows returned or changed; `null` for statements that report none. */
    rowCount: number | null;
  }>;
}

/** A client checked out of a `pg.Pool`: `release(error)` destroys it instead of reusing it. */
interface PostgresPoolClient extends PostgresQueryable {
  release(destroy?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** The slice of a `pg.Pool` the store calls for its own transactions. */
interface PostgresPool extends PostgresQueryable {
  readonly totalCount: number;
  connect(): Promise<PostgresPoolClient>;
}

/** Whether `value` has `pg`'s `query` method: a pool, a client or a checked-out client. */
export function isPostgresQueryable(value: unknown): value is PostgresQueryable {
  return typeof value === 'object' && value !== null && typeof (value as PostgresQueryable).query === 'function';
}

/**
 * A `pg.Pool` hands out a client per transaction; a `pg.Client` or a checked-out `PoolClient` is one
 * connection, on which the store must queue its work around its transactions.
 */
export function isPostgresPool(value: object): value is PostgresPool {
  return (
    typeof (value as Partial<PostgresPool>).connect === 'function' &&
    typeof (value as Partial<PostgresPool>).totalCount === 'number'
  );
}

async function query(target: PostgresQueryable, statement: PostgresStatement): Promise<ExecuteResult> {
  const result = await target.query({ text: statement.text, values: statement.values });
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

function transactionOn<T>(client: PostgresQueryable, work: (handle: PostgresQueryable) => Promise<T>): Promise<T> {
  return runTransaction(
    statementControl((statement: PostgresStatement) => query(client, statement), postgresTransactionStatements),
    () => work(client),
  );
}

/**
 * Runs statements on a `pg.Pool` or a single `pg.Client`. A transaction's handle is the one client it
 * runs on.
 */
export class PostgresDriver implements SqlDriver<PostgresStatement, PostgresQueryable> {
  readonly dialect = 'postgres';
  /**
   * A pool gives each transaction a client of its own; a single connection has one transaction state,
   * so everything the store runs on it goes through one queue.
   */
  private readonly connection:
    { readonly pool: PostgresPool } | { readonly client: PostgresQueryable; readonly queue: ConnectionQueue };

  constructor(connection: PostgresQueryable) {
    this.connection = isPostgresPool(connection)
      ? { pool: connection }
      : { client: connection, queue: new ConnectionQueue() };
  }

  execute(statement: PostgresStatement, transaction?: PostgresQueryable): Promise<ExecuteResult> {
    if (transaction !== undefined) return query(transaction, statement);
    const connection = this.connection;
    if ('pool' in connection) return query(connection.pool, statement);
    return connection.queue.run(() => query(connection.client, statement));
  }

  async transaction<T>(work: (handle: PostgresQueryable) => Promise<T>): Promise<T> {
    const connection = this.connection;
    if (!('pool' in connection)) return connection.queue.run(() => transactionOn(connection.client, work));
    const client = await connection.pool.connect();
    // A checked-out client whose connection dies emits 'error' besides failing its query; the pool
    // listens only while a client is idle, and an unheard 'error' would crash the process.
    let connectionError: Error | undefined;
    const onError = (error: Error): void => {
      connectionError = error;
    };
    client.on('error', onError);
    try {
      const result = await transactionOn(client, work);
      client.removeListener('error', onError);
      client.release(connectionError ?? false);
      return result;
    } catch (error) {
      client.removeListener('error', onError);
      // A client whose transaction failed may have lost its connection mid-COMMIT: never reuse it.
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }

  adoptTransaction(transaction: unknown): PostgresQueryable {
    return adoptedTransaction(
      transaction,
      (value): value is PostgresQueryable => isPostgresQueryable(value) && !isPostgresPool(value),
      "be the pg client on which you ran BEGIN (const client = await pool.connect(); await client.query('BEGIN')), not a pool",
      'A pool runs each statement on whichever connection is free, outside your transaction.',
    );
  }

  classifyError(error: unknown): ErrorKind {
    return classifyPostgresError(error);
  }
}
