/**
 * `MssqlSessionStore`: the shared SQL core over the caller's `mssql.ConnectionPool` (SQL Server and
 * Azure SQL).
 *
 * @module
 */
import { InvalidArgumentError } from '../core/errors.js';
import { resolveNames } from '../core/identifiers.js';
import { SqlSessionStore, type ExecuteResult, type SqlDriver } from '../core/sql-store.js';
import { runTransaction } from '../core/transaction.js';
import type { TableOptions } from '../core/types.js';
import { classifyMssqlError } from './mssql-errors.js';
import { mssqlStatements, type MssqlParameterType, type MssqlStatement } from './mssql-statements.js';

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
  /** `sql.Int()`: versions. */
  Int(): unknown;
  /** `sql.DateTime2(scale)`: times. */
  DateTime2(scale: number): unknown;
  /** `sql.MAX`: the length of an `NVARCHAR(MAX)`. */
  readonly MAX: number;
}

/**
 * Options of {@link MssqlSessionStore}.
 *
 * @example
 * ```ts
 * const options: MssqlSessionStoreOptions = {
 *   pool,
 *   table: 'SesionesChat',
 *   columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
 * };
 * ```
 */
export interface MssqlSessionStoreOptions extends TableOptions {
  /**
   * The caller's `mssql.ConnectionPool`, connected or not: a pool that is not connected is connected
   * once, on first use. The store never closes it.
   */
  readonly pool: MssqlPool;
  /**
   * The `mssql` module whose type constructors build the typed parameters. `mssql` matches a
   * parameter's type by identity, so it must be the copy that made `pool`. By default the store
   * imports `mssql` itself on first use, which is that copy whenever the application and this
   * package resolve the same `mssql` (the usual install, npm, pnpm and yarn alike); pass it when
   * they do not, for example when the application bundles `mssql` and this package is left external.
   * @defaultValue the module `import('mssql')` resolves from this package
   */
  readonly sql?: MssqlTypes;
}

function isPool(value: unknown): value is MssqlPool {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MssqlPool).request === 'function' &&
    typeof (value as MssqlPool).connect === 'function'
  );
}

function isTypes(value: unknown): value is MssqlTypes {
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
  if (!isTypes(types)) throw new Error('The installed "mssql" package does not export NVarChar, Int and DateTime2.');
  return types;
}

function toDriverType(sql: MssqlTypes, type: MssqlParameterType): unknown {
  switch (type.type) {
    case 'NVarChar':
      return sql.NVarChar(type.length === 'MAX' ? sql.MAX : type.length);
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
 * Sessions in SQL Server and Azure SQL through `mssql` (tedious). Every operation is one batch: the
 * conditional update writes, reports and classifies a refused write in a single round trip, and is
 * safe on tables with triggers.
 *
 * @example
 * ```ts
 * import sql from 'mssql';
 * import { SessionRepository } from 'versioned-sessions';
 * import { MssqlSessionStore } from 'versioned-sessions/mssql';
 *
 * const pool = new sql.ConnectionPool(process.env.SQL_CONNECTION_STRING!);
 * const store = new MssqlSessionStore({
 *   pool,
 *   table: 'SesionesChat',
 *   columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
 * });
 * const sessions = new SessionRepository({ store });
 * ```
 */
export class MssqlSessionStore extends SqlSessionStore<MssqlStatement> {
  /**
   * Validates and brackets the configured names; the pool is not used (nor `mssql` loaded) until the
   * first call.
   *
   * @throws InvalidArgumentError when `pool` is not a connection pool, `sql` lacks the type
   *   constructors, or a name is not a plain identifier.
   */
  constructor(options: MssqlSessionStoreOptions) {
    if (typeof options !== 'object' || options === null || !isPool(options.pool)) {
      throw new InvalidArgumentError(
        'pool',
        'expected an mssql.ConnectionPool (an object with request and connect methods).',
      );
    }
    if (options.sql !== undefined && !isTypes(options.sql)) {
      throw new InvalidArgumentError(
        'sql',
        'expected the mssql module (import sql from "mssql"), with NVarChar, Int and DateTime2.',
      );
    }
    const names = resolveNames('mssql', options);
    const pool = options.pool;
    const given = options.sql;
    const loadTypes = given === undefined ? sharedAttempt(importMssql) : () => Promise.resolve(given);
    // One connect() for every caller that arrives before the pool is up.
    const connect = sharedAttempt(() => pool.connect());
    const driver: SqlDriver<MssqlStatement> = {
      dialect: 'mssql',
      async execute(statement, transaction): Promise<ExecuteResult> {
        if (transaction === undefined && !pool.connected) await connect();
        const sql = await loadTypes();
        const request =
          transaction === undefined ? pool.request() : (transaction as Pick<MssqlPool, 'request'>).request();
        for (const parameter of statement.parameters) {
          request.input(parameter.name, toDriverType(sql, parameter.type), parameter.value);
        }
        const result = await request.query(statement.text);
        const rows = lastRecordset(result.recordsets);
        const affected = rows[0]?.['affected_rows'];
        return { rows, rowCount: typeof affected === 'number' ? affected : rows.length };
      },
      async transaction(work) {
        if (!pool.connected) await connect();
        const transaction = pool.transaction();
        return runTransaction(transaction, () => work(transaction));
      },
      adoptTransaction(transaction) {
        if (!isTransaction(transaction)) {
          throw new InvalidArgumentError(
            'options.transaction',
            'expected an mssql.Transaction you began (const transaction = new sql.Transaction(pool); await transaction.begin()), ' +
              'not the pool: a pool runs each request outside your transaction.',
          );
        }
        return transaction;
      },
      classifyError: classifyMssqlError,
    };
    super(names, mssqlStatements(names), driver);
  }
}
