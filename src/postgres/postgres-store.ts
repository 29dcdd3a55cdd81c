/**
 * `PostgresSessionStore`: the shared SQL core over the caller's `pg.Pool` or `pg.Client`.
 *
 * @module
 */
import { InvalidArgumentError } from '../core/errors.js';
import { resolveNames } from '../core/identifiers.js';
import { SqlSessionStore, type ExecuteResult, type SqlDriver } from '../core/sql-store.js';
import { ConnectionQueue, runTransaction, statementControl } from '../core/transaction.js';
import type { TableOptions } from '../core/types.js';
import { classifyPostgresError } from './postgres-errors.js';
import { postgresStatements, postgresTransactionStatements, type PostgresStatement } from './postgres-statements.js';

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

/**
 * A `pg.Pool` hands out a client per transaction; a `pg.Client` or a checked-out `PoolClient` is one
 * connection, on which the store must queue its work around its transactions.
 */
function isPool(value: PostgresQueryable): value is PostgresPool {
  return (
    typeof (value as Partial<PostgresPool>).connect === 'function' &&
    typeof (value as Partial<PostgresPool>).totalCount === 'number'
  );
}

/**
 * Options of {@link PostgresSessionStore}.
 *
 * @example
 * ```ts
 * const options: PostgresSessionStoreOptions = { pool, schema: 'bot', table: 'sessions' };
 * ```
 */
export interface PostgresSessionStoreOptions extends TableOptions {
  /**
   * The caller's `pg.Pool` (recommended) or connected `pg.Client`. The store never ends it. With a
   * pool, each transaction of the store's own (an update with an `idempotencyKey`) checks out a client
   * for BEGIN … COMMIT. A single client has one transaction state, so the store queues its own
   * operations on it: they run one at a time, and never inside another operation's transaction.
   */
  readonly pool: PostgresQueryable;
}

function isQueryable(value: unknown): value is PostgresQueryable {
  return typeof value === 'object' && value !== null && typeof (value as PostgresQueryable).query === 'function';
}

/**
 * Sessions in PostgreSQL through `pg`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { SessionRepository } from 'versioned-sessions';
 * import { PostgresSessionStore } from 'versioned-sessions/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const sessions = new SessionRepository({ store: new PostgresSessionStore({ pool }) });
 * ```
 */
export class PostgresSessionStore extends SqlSessionStore<PostgresStatement> {
  /**
   * Validates and quotes the configured names; the pool is not used until the first call.
   *
   * @throws InvalidArgumentError when `pool` is not a pool or client, or a name is not a plain identifier.
   */
  constructor(options: PostgresSessionStoreOptions) {
    if (typeof options !== 'object' || options === null || !isQueryable(options.pool)) {
      throw new InvalidArgumentError('pool', 'expected a pg.Pool or pg.Client (an object with a query method).');
    }
    const names = resolveNames('postgres', options);
    const pool = options.pool;
    const query = async (target: PostgresQueryable, statement: PostgresStatement): Promise<ExecuteResult> => {
      const result = await target.query({ text: statement.text, values: statement.values });
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    };
    const transactionOn = <T>(client: PostgresQueryable, work: (handle: unknown) => Promise<T>): Promise<T> =>
      runTransaction(
        statementControl((statement) => query(client, statement), postgresTransactionStatements),
        () => work(client),
      );
    // Only a single connection needs the queue; a pool gives each transaction a client of its own.
    const queue = isPool(pool) ? undefined : new ConnectionQueue();
    const driver: SqlDriver<PostgresStatement> = {
      dialect: 'postgres',
      execute(statement, transaction): Promise<ExecuteResult> {
        if (transaction !== undefined) return query(transaction as PostgresQueryable, statement);
        return queue === undefined ? query(pool, statement) : queue.run(() => query(pool, statement));
      },
      async transaction(work) {
        if (queue !== undefined) return queue.run(() => transactionOn(pool, work));
        const client = await (pool as PostgresPool).connect();
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
      },
      adoptTransaction(transaction) {
        if (!isQueryable(transaction) || isPool(transaction)) {
          throw new InvalidArgumentError(
            'options.transaction',
            "expected the pg client on which you ran BEGIN (const client = await pool.connect(); await client.query('BEGIN')), " +
              'not a pool: a pool runs each statement on whichever connection is free, outside your transaction.',
          );
        }
        return transaction;
      },
      classifyError: classifyPostgresError,
    };
    super(names, postgresStatements(names), driver);
  }
}
