/**
 * `MssqlDriver`: runs SQL Server batches through the caller's `mssql.ConnectionPool` (connected once,
 * on first use), alone or in an `mssql.Transaction`, and adopts a caller's transaction. The `mssql`
 * slices the library calls are declared here so it does not depend on `mssql`'s types.
 *
 * @module
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { ErrorKind, ExecuteResult, SqlDriver } from '../core/sql/dialect-contract.js';
import { runTransaction } from '../core/sql/transaction.js';
import { classifyMssqlError } from './mssql-errors.js';
import type { MssqlParameterType, MssqlStatement } from './mssql-statements.js';

/**
 * The slice of an `mssql` `Request` the store calls.
 *
 * @example
 * ```ts
 * const request: MssqlRequest = pool.request();
 * ```
 */
export interface MssqlRequest {
  /** Binds one typed parameter, referenced in the batch as `@name`. */
  input(name: string, type: unknown, value: unknown): unknown;
  /** Runs one batch with the bound parameters. */
  query(text: string): Promise<{
    /** The result sets the batch returned, in order. */
    recordsets: unknown;
    /** The rows each statement of the batch changed. */
    rowsAffected: number[];
  }>;
}

/**
 * The slice of an `mssql` `ConnectionPool` the store calls; declared here so the library does not
 * depend on `mssql`'s types. An `mssql.Transaction` fits the `request()` part, which is all a
 * transaction passed to a write needs.
 *
 * @example
 * ```ts
 * const pool: MssqlPool = new sql.ConnectionPool(process.env.SQL_CONNECTION_STRING!);
 * ```
 */
export interface MssqlPool {
  /** Whether the pool is connected; the store connects it once, on first use, when it is not. */
  readonly connected: boolean;
  /** Connects the pool. */
  connect(): Promise<unknown>;
  /** A new request on the pool (or on a transaction). */
  request(): MssqlRequest;
  /** A new, not yet begun `mssql.Transaction` on this pool (for the store's own transactions). */
  transaction(): MssqlTransaction;
}

/**
 * The slice of an `mssql` `Transaction` the store calls: it begins and ends its own, and runs the
 * requests of a caller's on it.
 *
 * @example
 * ```ts
 * const transaction: MssqlTransaction = new sql.Transaction(pool);
 * await transaction.begin();
 * ```
 */
export interface MssqlTransaction {
  /** Starts the transaction. */
  begin(): Promise<unknown>;
  /** Commits it. */
  commit(): Promise<unknown>;
  /** Rolls it back. */
  rollback(): Promise<unknown>;
  /** A request that runs inside the transaction. */
  request(): MssqlRequest;
}

function isTransaction(value: unknown): value is MssqlTransaction {
  const candidate = value as Partial<MssqlTransaction & MssqlPool> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.request === 'function' &&
    typeof candidate.begin === 'function' &&
    typeof candidate.commit === 'function' &&
    // A pool has request() too, but its requests run outside any transaction.
    typeof candidate.connect !== 'function'
  );
}

/**
 * The slice of the `mssql` module the store calls: the constructors of typed parameters.
 *
 * @example
 * ```ts
 * import sql from 'mssql';
 * const types: MssqlTypes = sql;
 * ```
 */
export interface MssqlTypes {
  /** `sql.NVarChar(length)`: keys, states, JSON data (`MAX`) and catalog names. */
  NVarChar(length: number): unknown;
  /** `sql.VarChar(length)`: keys, when the key column is `VARCHAR`. */
  VarChar(length: number): unknown;
  /** `sql.Char(length)`: keys, when the key column is `CHAR`. */
  Char(length: number): unknown;
  /** `sql.NChar(length)`: keys, when the key column is `NCHAR`. */
  NChar(length: number): unknown;
  /** `sql.Int()`: versions. */
  Int(): unknown;
  /** `sql.DateTime2(scale)`: times. */
  DateTime2(scale: number): unknown;
  /** `sql.MAX`: the length of an `NVARCHAR(MAX)`. */
  readonly MAX: number;
}

/** Whether `value` has a connection pool's `request` and `connect` methods. */
export function isMssqlPool(value: unknown): value is MssqlPool {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MssqlPool).request === 'function' &&
    typeof (value as MssqlPool).connect === 'function'
  );
}

/** Whether `value` has the `mssql` module's type constructors the driver uses. */
export function isMssqlTypes(value: unknown): value is MssqlTypes {
  const types = value as MssqlTypes | null | undefined;
  return (
    typeof types?.NVarChar === 'function' && typeof types.Int === 'function' && typeof types.DateTime2 === 'function'
  );
}

/**
 * Loads `mssql` lazily: it is an optional peer, and importing this entry must not fail without it.
 * The ESM build keeps the dynamic `import()`, the CommonJS build compiles it to `require()`; `mssql`
 * is CommonJS, so both reach the one module object in Node's cache that the application's own
 * `import` or `require` of `mssql` returned (under `default` in the ESM case).
 */
async function importMssql(): Promise<MssqlTypes> {
  let loaded: { default?: unknown };
  try {
    loaded = (await import('mssql')) as { default?: unknown };
  } catch (error) {
    throw new Error('MssqlSessionStore needs the "mssql" package: npm install mssql', { cause: error });
  }
  const types = loaded.default ?? loaded;
  if (!isMssqlTypes(types))
    throw new Error('The installed "mssql" package does not export NVarChar, Int and DateTime2.');
  return types;
}

function toDriverType(sql: MssqlTypes, type: MssqlParameterType): unknown {
  switch (type.type) {
    case 'NVarChar':
      return sql.NVarChar(type.length === 'MAX' ? sql.MAX : type.length);
    case 'VarChar':
      return sql.VarChar(type.length);
    case 'Char':
      return sql.Char(type.length);
    case 'NChar':
      return sql.NChar(type.length);
    case 'Int':
      return sql.Int();
    case 'DateTime2':
      return sql.DateTime2(type.scale);
  }
}

/** Runs `start` once for every caller; a failed attempt is forgotten, so the next call starts again. */
function sharedAttempt<T>(start: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= start().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}

/** The last result set of a batch: the store's batches end with the SELECT that reports. */
function lastRecordset(recordsets: unknown): Record<string, unknown>[] {
  if (!Array.isArray(recordsets) || recordsets.length === 0) return [];
  return recordsets[recordsets.length - 1] as Record<string, unknown>[];
}

/**
 * Runs batches on an `mssql.ConnectionPool`. A transaction's handle is the `mssql.Transaction` its
 * requests run on, the store's own or the caller's.
 */
export class MssqlDriver implements SqlDriver<MssqlStatement, MssqlTransaction> {
  readonly dialect = 'mssql';
  private readonly loadTypes: () => Promise<MssqlTypes>;
  /** One connect() for every caller that arrives before the pool is up. */
  private readonly connect: () => Promise<unknown>;

  /**
   * @param pool - the caller's pool, connected or not.
   * @param sql - the `mssql` module that made `pool`; by default imported on first use.
   */
  constructor(
    private readonly pool: MssqlPool,
    sql?: MssqlTypes,
  ) {
    this.loadTypes = sql === undefined ? sharedAttempt(importMssql) : () => Promise.resolve(sql);
    this.connect = sharedAttempt(() => pool.connect());
  }

  async execute(statement: MssqlStatement, transaction?: MssqlTransaction): Promise<ExecuteResult> {
    if (transaction === undefined && !this.pool.connected) await this.connect();
    const sql = await this.loadTypes();
    const request = (transaction ?? this.pool).request();
    for (const parameter of statement.parameters) {
      request.input(parameter.name, toDriverType(sql, parameter.type), parameter.value);
    }
    const result = await request.query(statement.text);
    const rows = lastRecordset(result.recordsets);
    const affected = rows[0]?.['affected_rows'];
    return { rows, rowCount: typeof affected === 'number' ? affected : rows.length };
  }

  async transaction<T>(work: (handle: MssqlTransaction) => Promise<T>): Promise<T> {
    if (!this.pool.connected) await this.connect();
    const transaction = this.pool.transaction();
    return runTransaction(transaction, () => work(transaction));
  }

  adoptTransaction(transaction: unknown): MssqlTransaction {
    if (!isTransaction(transaction)) {
      throw new InvalidArgumentError(
        'options.transaction',
        'expected an mssql.Transaction you began (const transaction = new sql.Transaction(pool); await transaction.begin()), ' +
          'not the pool: a pool runs each request outside your transaction.',
      );
    }
    return transaction;
  }

  classifyError(error: unknown): ErrorKind {
    return classifyMssqlError(error);
  }
}
