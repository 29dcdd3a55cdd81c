/**
 * The names a store reads and writes: the configuration shapes, each dialect's default names, the
 * validation of configured identifiers (schema, table and column names), and the migrate command
 * that names the ones that differ. A configured name is never interpolated as given: it must be a
 * plain name, and each dialect then quotes it.
 *
 * @module
 */
import { describeValue, expectBoolean, expectObject, expectThat, invalidArgument } from '../validate.js';
import { type Dialect } from '../dialect.js';

/**
 * Maps the library's logical columns onto the names of an existing table.
 *
 * @example
 * ```ts
 * const columns: ColumnMap = { key: 'Telefono', state: 'Estado', data: 'DatosTemp' };
 * ```
 */
export interface ColumnMap {
  /** The primary key column (the phone number or chat id). */
  key?: string;
  /** The flow state column. */
  state?: string;
  /** The JSON data column (JSON text, or the dialect's JSON type). */
  data?: string;
  /** The integer version column added by the migration. */
  version?: string;
  /** The creation time column. */
  createdAt?: string;
  /** The last-activity column. */
  updatedAt?: string;
}

/**
 * Where a store finds its tables. Every name is validated (letters, digits, underscore) and quoted.
 *
 * @example
 * ```ts
 * const tables: TableOptions = { table: 'SesionesChat', columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' } };
 * ```
 */
export interface TableOptions {
  /** The schema (PostgreSQL, SQL Server). @defaultValue `public` / `dbo` */
  schema?: string;
  /** The sessions table. @defaultValue `sessions` (PostgreSQL, SQLite) / `Sessions` (SQL Server) */
  table?: string;
  /** Column names of an existing table. Defaults follow the dialect's conventions. */
  columns?: ColumnMap;
  /** The table of processed operation ids. @defaultValue `processed_operations` / `ProcessedOperations` */
  processedTable?: string;
  /**
   * Record every versioned write's transition (key, version, previous state, state, origin, reason,
   * time) in the history table, atomically with the write. Needs migration 0005.
   * @defaultValue false
   */
  history?: boolean;
  /** The transition history table. @defaultValue `session_history` / `SessionHistory` */
  historyTable?: string;
}

/**
 * Every name a store uses, validated and resolved against the dialect's defaults; a store's `names`.
 *
 * @example
 * ```ts
 * const { table, columns } = store.names;
 * console.log(`sessions in ${table}, version in ${columns.version}`);
 * ```
 */
export interface ResolvedNames {
  /** The schema, or `null` for SQLite, which has none. */
  readonly schema: string | null;
  /** The sessions table. */
  readonly table: string;
  /** The table of processed operation ids. */
  readonly processedTable: string;
  /** The transition history table (created by migration 0005 whether or not `history` is on). */
  readonly historyTable: string;
  /** Whether versioned writes record their transitions in `historyTable`. */
  readonly history: boolean;
  /** Every column name, configured or the dialect's default. */
  readonly columns: Readonly<Required<ColumnMap>>;
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The longest identifier each dialect accepts (PostgreSQL truncates at 63 bytes; SQL Server allows 128). */
export const MAX_IDENTIFIER_LENGTH: Readonly<Record<Dialect, number>> = Object.freeze({
  postgres: 63,
  mssql: 128,
  sqlite: 128,
  mysql: 64,
});

// PostgreSQL, SQLite and MySQL share lower snake case; only their schema differs.
const SNAKE_CASE_NAMES: Omit<ResolvedNames, 'schema'> = {
  table: 'sessions',
  processedTable: 'processed_operations',
  historyTable: 'session_history',
  history: false,
  columns: {
    key: 'key',
    state: 'state',
    data: 'data',
    version: 'version',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  },
};

/** The dialect's conventional names, used for whatever the caller does not configure. */
export const DEFAULT_NAMES: Readonly<Record<Dialect, ResolvedNames>> = Object.freeze({
  postgres: { schema: 'public', ...SNAKE_CASE_NAMES },
  sqlite: { schema: null, ...SNAKE_CASE_NAMES },
  mysql: { schema: null, ...SNAKE_CASE_NAMES },
  mssql: {
    schema: 'dbo',
    table: 'Sessions',
    processedTable: 'ProcessedOperations',
    historyTable: 'SessionHistory',
    history: false,
    columns: {
      key: 'SessionKey',
      state: 'State',
      data: 'Data',
      version: 'Version',
      createdAt: 'CreatedAt',
      updatedAt: 'UpdatedAt',
    },
  },
});

/**
 * Checks that `value` is a plain identifier for `dialect`.
 *
 * @throws InvalidArgumentError naming `argument` when it is not.
 */
export function validateIdentifier(dialect: Dialect, argument: string, value: unknown): string {
  const max = MAX_IDENTIFIER_LENGTH[dialect];
  expectThat(
    typeof value === 'string' && PLAIN_NAME.test(value) && value.length <= max,
    argument,
    `be a plain ${dialect} identifier`,
    value,
    { hint: `Use letters, digits and underscores, starting with a letter or underscore, at most ${max} characters.` },
  );
  return value;
}

/** The six column roles of a sessions table, in the order messages list them. */
export const COLUMN_ROLES: readonly (keyof ColumnMap)[] = ['key', 'state', 'data', 'version', 'createdAt', 'updatedAt'];

/** The CLI flag (without `--`) that names each column role: what `migrateCommand` writes and the CLI reads. */
export const COLUMN_FLAGS: Readonly<Record<keyof ColumnMap, string>> = Object.freeze({
  key: 'key-column',
  state: 'state-column',
  data: 'data-column',
  version: 'version-column',
  createdAt: 'created-at-column',
  updatedAt: 'updated-at-column',
});

/**
 * Resolves a store's names against the dialect's defaults, validating each configured one.
 *
 * @throws InvalidArgumentError for an unknown column key, a name that is not a plain identifier,
 *   two logical columns mapped onto one name, or a processed-operations table named like the
 *   sessions table.
 */
export function resolveNames(dialect: Dialect, options: TableOptions = {}): ResolvedNames {
  const defaults = DEFAULT_NAMES[dialect];
  if (options.schema !== undefined && dialect === 'sqlite') {
    throw invalidArgument('schema', 'be left out: SQLite stores take no schema', describeValue(options.schema), {
      hint: 'Attach the database file instead.',
    });
  }
  const columnsOption: unknown = options.columns ?? {};
  expectObject('columns', columnsOption);
  for (const role of Object.keys(columnsOption)) {
    if (!(COLUMN_ROLES as readonly string[]).includes(role)) {
      throw invalidArgument(`columns.${role}`, `name a column role (${COLUMN_ROLES.join(', ')})`, 'an unknown role');
    }
  }
  const columns = {} as Record<keyof ColumnMap, string>;
  for (const role of COLUMN_ROLES) {
    const configured = (columnsOption as Record<string, unknown>)[role];
    columns[role] =
      configured === undefined ? defaults.columns[role] : validateIdentifier(dialect, `columns.${role}`, configured);
  }
  const seen = new Map<string, string>();
  for (const role of COLUMN_ROLES) {
    const lower = columns[role].toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined) {
      throw invalidArgument(`columns.${role}`, 'name a column of its own', `the name of \`columns.${other}\``);
    }
    seen.set(lower, role);
  }
  const table = options.table === undefined ? defaults.table : validateIdentifier(dialect, 'table', options.table);
  const processedTable =
    options.processedTable === undefined
      ? defaults.processedTable
      : validateIdentifier(dialect, 'processedTable', options.processedTable);
  // SQLite and SQL Server fold case, so two names equal but for case would be one table.
  if (processedTable.toLowerCase() === table.toLowerCase()) {
    throw invalidArgument('processedTable', 'name a table of its own', "the sessions table's name", {
      hint: 'Give the processed-operations table a name of its own.',
    });
  }
  const historyTable =
    options.historyTable === undefined
      ? defaults.historyTable
      : validateIdentifier(dialect, 'historyTable', options.historyTable);
  if ([table, processedTable].some((other) => other.toLowerCase() === historyTable.toLowerCase())) {
    throw invalidArgument(
      'historyTable',
      'name a table of its own',
      "the name of the store's sessions or processed table",
      {
        hint: 'Give the history table a name of its own.',
      },
    );
  }
  expectBoolean('history', options.history, { optional: true });
  const history = options.history === true;
  const schema = options.schema === undefined ? defaults.schema : validateIdentifier(dialect, 'schema', options.schema);
  return Object.freeze({ schema, table, processedTable, historyTable, history, columns: Object.freeze(columns) });
}

/**
 * The command that applies the migrations for a store configured with `names`, flags for the names
 * that differ from the defaults only.
 */
export function migrateCommand(dialect: Dialect, names: ResolvedNames): string {
  const defaults = DEFAULT_NAMES[dialect];
  const flags = [`npx versioned-sessions migrate --dialect ${dialect} --url <connection>`];
  if (names.schema !== defaults.schema && names.schema !== null) flags.push(`--schema ${names.schema}`);
  if (names.table !== defaults.table) flags.push(`--table ${names.table}`);
  for (const role of COLUMN_ROLES) {
    if (names.columns[role] !== defaults.columns[role]) flags.push(`--${COLUMN_FLAGS[role]} ${names.columns[role]}`);
  }
  if (names.processedTable !== defaults.processedTable) flags.push(`--processed-table ${names.processedTable}`);
  if (names.historyTable !== defaults.historyTable) flags.push(`--history-table ${names.historyTable}`);
  return flags.join(' ');
}
