/**
 * `MssqlSessionStore`: the shared SQL core over the caller's `mssql.ConnectionPool` (SQL Server and
 * Azure SQL).
 *
 * @module
 */
import { expectThat, invalidArgument } from '../core/validate.js';
import { SqlSessionStore } from '../core/sql/sql-session-store.js';
import { resolveNames, type TableOptions } from '../core/sql/table-names.js';
import {
  MssqlDriver,
  isMssqlPool,
  isMssqlTypes,
  type MssqlPool,
  type MssqlTransaction,
  type MssqlTypes,
} from './mssql-driver.js';
import { validateKeyColumnType, type KeyColumnTypes, type MssqlKeyColumnType } from './mssql-key-column.js';
import { mssqlStatements, type MssqlStatement } from './mssql-statements.js';

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
  /**
   * The types of the keyed columns: the sessions table's key column and the processed table's `id`.
   * Every key and idempotency id is sent with its column's own type and length, so a `VARCHAR` key
   * column keeps its index seek (an `NVARCHAR` parameter would convert the column instead). By default
   * the store reads them from `INFORMATION_SCHEMA.COLUMNS` once, before its first keyed statement;
   * give them to skip that read (one round trip) or when the login cannot see the catalog.
   * @defaultValue read from the catalog on first use
   * @example
   * ```ts
   * new MssqlSessionStore({ pool, table: 'SesionesChat', columns: { key: 'Telefono' }, columnTypes: { key: { type: 'VarChar', length: 20 } } });
   * ```
   */
  readonly columnTypes?: {
    /** The key column's type, e.g. `{ type: 'VarChar', length: 20 }` for `Telefono VARCHAR(20)`. */
    readonly key?: MssqlKeyColumnType;
    /** The processed table's `id` type (migration 0003 creates `NVARCHAR(255)`). */
    readonly processedId?: MssqlKeyColumnType;
  };
}

function validateColumnTypes(value: unknown): KeyColumnTypes | undefined {
  if (value === undefined) return undefined;
  expectThat(
    typeof value === 'object' && value !== null && !Array.isArray(value),
    'columnTypes',
    'be { key?: { type, length }, processedId?: { type, length } }',
    value,
  );
  const { key, processedId, ...rest } = value as Record<string, unknown>;
  const unknownEntry = Object.keys(rest)[0];
  if (unknownEntry !== undefined) {
    throw invalidArgument(`columnTypes.${unknownEntry}`, 'name a keyed column (key, processedId)', 'an unknown entry');
  }
  return {
    ...(key === undefined ? {} : { key: validateKeyColumnType('columnTypes.key', key) }),
    ...(processedId === undefined
      ? {}
      : { processedId: validateKeyColumnType('columnTypes.processedId', processedId) }),
  };
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
export class MssqlSessionStore extends SqlSessionStore<MssqlStatement, MssqlTransaction> {
  /**
   * Validates and brackets the configured names; the pool is not used (nor `mssql` loaded) until the
   * first call.
   *
   * @throws InvalidArgumentError when `pool` is not a connection pool or has `options.useUTC: false`,
   *   `sql` lacks the type constructors, a name is not a plain identifier, or `columnTypes` holds
   *   anything but bounded character types.
   */
  constructor(options: MssqlSessionStoreOptions) {
    // No options at all is named after what is missing first: the pool.
    expectThat(
      isMssqlPool(options?.pool),
      'pool',
      'be an mssql.ConnectionPool (an object with request and connect methods)',
      options?.pool,
    );
    expectThat(
      options.sql === undefined || isMssqlTypes(options.sql),
      'sql',
      'be the mssql module (import sql from "mssql"), with NVarChar, Int and DateTime2',
      options.sql,
    );
    if (options.pool.config?.options?.useUTC === false) {
      throw invalidArgument('pool', 'be a pool with options.useUTC left at its default (true)', 'useUTC: false', {
        hint:
          'Under useUTC: false tedious reads and writes DATETIME2 values in local time, while the store keeps UTC ' +
          '(SYSUTCDATETIME()).',
      });
    }
    const names = resolveNames('mssql', options);
    const columnTypes = validateColumnTypes(options.columnTypes);
    super(names, mssqlStatements(names), new MssqlDriver(options.pool, { sql: options.sql, names, columnTypes }));
  }
}
