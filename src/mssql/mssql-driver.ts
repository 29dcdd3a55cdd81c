/**
 * `MssqlDriver`: runs SQL Server batches through the caller's `mssql.ConnectionPool` (connected once,
 * on first use), alone or in an `mssql.Transaction`, and adopts a caller's transaction. The `mssql`
 * slices the library calls are declared here so it does not depend on `mssql`'s types.
 *
 * @module
 */
import { VersionedSessionError } from '../core/errors.js';
import { invalidArgument } from '../core/validate.js';
import type { ErrorKind, ExecuteResult, SqlDriver } from '../core/sql/dialect-contract.js';
import { adoptedTransaction, runTransaction, sharedAttempt } from '../core/sql/transaction.js';
import type { ResolvedNames } from '../core/sql/table-names.js';
import { classifyMssqlError } from './mssql-errors.js';
import { keyColumnProblem, keyColumnType, parameterType, type KeyColumnTypes } from './mssql-key-column.js';
import { mssqlKeyColumnTypes, type MssqlParameterType, type MssqlStatement } from './mssql-statements.js';

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
  /**
   * Whether rows come back as arrays. The store sets it to `false` on its own requests, so a pool
   * configured with `arrayRowMode: true` still gives it rows by column name.
   */
  arrayRowMode?: boolean | null;
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
  /**
   * The pool's configuration, as `mssql` keeps it: the store refuses `options.useUTC: false`, under
   * which tedious would read and write its UTC times in local time.
   */
  readonly config?: {
    /** The tedious options the pool was created with. */
    readonly options?: {
      /** Whether tedious treats `DATETIME2` values as UTC (its default, `true`). */
      readonly useUTC?: unknown;
    };
  };
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
    throw new VersionedSessionError('MssqlSessionStore needs the "mssql" package: npm install mssql', { cause: error });
  }
  const types = loaded.default ?? loaded;
  if (!isMssqlTypes(types)) {
    throw new VersionedSessionError('The installed "mssql" package does not export NVarChar, Int and DateTime2.');
  }
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

/** The last result set of a batch: the store's batches end with the SELECT that reports. */
function lastRecordset(recordsets: unknown): Record<string, unknown>[] {
  if (!Array.isArray(recordsets) || recordsets.length === 0) return [];
  return recordsets[recordsets.length - 1] as Record<string, unknown>[];
}

/** What the driver needs besides the pool. */
export interface MssqlDriverOptions {
  /** The `mssql` module that made the pool; by default imported on first use. */
  readonly sql?: MssqlTypes | undefined;
  /** The store's names: where the keyed columns' types are read from. */
  readonly names: ResolvedNames;
  /** The keyed columns' types given as an option; when set, the catalog is not read. */
  readonly columnTypes?: KeyColumnTypes | undefined;
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
  /** Whether the pool was ever seen connected: not connected after that means it was closed. */
  private opened = false;
  private readonly names: ResolvedNames;
  /** The keyed columns' types, once known (given, or read from the catalog and found). */
  private keyTypes: KeyColumnTypes | undefined;
  private pendingKeyTypes: Promise<KeyColumnTypes> | undefined;

  /**
   * @param pool - the caller's pool, connected or not.
   * @param options - the `mssql` module, the store's names and the keyed columns' types if given.
   */
  constructor(
    private readonly pool: MssqlPool,
    options: MssqlDriverOptions,
  ) {
    const sql = options.sql;
    this.loadTypes = sql === undefined ? sharedAttempt(importMssql) : () => Promise.resolve(sql);
    this.connect = sharedAttempt(() => pool.connect());
    this.names = options.names;
    this.keyTypes = options.columnTypes;
  }

  async execute(statement: MssqlStatement, transaction?: MssqlTransaction): Promise<ExecuteResult> {
    if (transaction === undefined) await this.ensureConnected();
    const keyed = statement.parameters.some((parameter) => parameter.column !== undefined);
    const types = keyed ? await this.keyColumnTypes(transaction) : {};
    return this.run(statement, transaction, types);
  }

  async transaction<T>(work: (handle: MssqlTransaction) => Promise<T>): Promise<T> {
    await this.ensureConnected();
    const transaction = this.pool.transaction();
    return runTransaction(transaction, () => work(transaction));
  }

  /**
   * Connects a pool that was never connected, once for every caller waiting. A pool that was
   * connected and is not any more was closed by the application (`pool.close()`): the store does
   * not reopen it, and says so instead of failing every call with the driver's `ECONNCLOSED`.
   */
  private async ensureConnected(): Promise<void> {
    if (this.pool.connected) {
      this.opened = true;
      return;
    }
    if (this.opened) {
      throw invalidArgument('pool', 'stay open while the store uses it', 'a pool closed by pool.close()', {
        hint:
          'The store does not reopen a pool it was given: connect it again (await pool.connect()) or give the store ' +
          'a pool that stays open while it is used.',
      });
    }
    await this.connect();
    this.opened = true;
  }

  private async run(
    statement: MssqlStatement,
    transaction: MssqlTransaction | undefined,
    types: KeyColumnTypes,
  ): Promise<ExecuteResult> {
    // Each parameter's type first: a key longer than its column is refused before anything is sent.
    const parameters = statement.parameters.map((parameter) => ({ parameter, type: parameterType(parameter, types) }));
    const sql = await this.loadTypes();
    const request = (transaction ?? this.pool).request();
    // Rows by column name whatever the pool's arrayRowMode.
    request.arrayRowMode = false;
    for (const { parameter, type } of parameters) {
      request.input(parameter.name, toDriverType(sql, type), parameter.value);
    }
    const result = await request.query(statement.text);
    const rows = lastRecordset(result.recordsets);
    const affected = rows[0]?.['affected_rows'];
    return { rows, rowCount: typeof affected === 'number' ? affected : rows.length };
  }

  /**
   * The keyed columns' types: given, or read from the catalog once, before the first keyed
   * statement (on the same transaction when there is one). A read that finds no key column (the
   * table is not there yet) is not kept, so the types are read again once it is.
   *
   * @throws InvalidArgumentError when the key column cannot hold session keys (`NVARCHAR(MAX)`,
   *   `TEXT`, a number): the message names it and the `ALTER TABLE` that fixes it.
   */
  private async keyColumnTypes(transaction: MssqlTransaction | undefined): Promise<KeyColumnTypes> {
    if (this.keyTypes !== undefined) return this.keyTypes;
    this.pendingKeyTypes ??= this.readKeyColumnTypes(transaction).finally(() => (this.pendingKeyTypes = undefined));
    return this.pendingKeyTypes;
  }

  private async readKeyColumnTypes(transaction: MssqlTransaction | undefined): Promise<KeyColumnTypes> {
    const { rows } = await this.run(mssqlKeyColumnTypes(this.names), transaction, {});
    const names = this.names;
    const rowOf = (table: string) =>
      rows.find((row) => String(row['table_name']).toLowerCase() === table.toLowerCase());
    const catalogType = (row: Record<string, unknown>) => ({
      dataType: String(row['data_type']),
      maxLength: typeof row['max_length'] === 'number' ? row['max_length'] : null,
    });
    const keyRow = rowOf(names.table);
    const idRow = rowOf(names.processedTable);
    if (keyRow === undefined) return {};
    const table = `[${names.schema}].[${names.table}]`;
    const problem = keyColumnProblem(table, `[${names.columns.key}]`, catalogType(keyRow));
    if (problem !== undefined) {
      throw invalidArgument('columns.key', 'name a column that can hold session keys', 'a column that cannot', {
        hint: problem,
      });
    }
    const key = keyColumnType(catalogType(keyRow));
    const processedId = idRow === undefined ? undefined : keyColumnType(catalogType(idRow));
    const types: KeyColumnTypes = {
      ...(key === undefined ? {} : { key }),
      ...(processedId === undefined ? {} : { processedId }),
    };
    // Kept from now on. A processed table created later gets 0003's NVARCHAR(255) id, which is what an
    // id is sent as when its column was not found.
    this.keyTypes = types;
    return types;
  }

  adoptTransaction(transaction: unknown): MssqlTransaction {
    return adoptedTransaction(
      transaction,
      isTransaction,
      'be an mssql.Transaction you began (const transaction = new sql.Transaction(pool); await transaction.begin()), not the pool',
      'A pool runs each request outside your transaction.',
    );
  }

  classifyError(error: unknown): ErrorKind {
    return classifyMssqlError(error);
  }
}
