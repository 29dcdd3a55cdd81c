/**
 * versioned-sessions/migrations: applies the packaged SQL migrations from code, reports their status,
 * and renders them for psql, sqlcmd, the mysql client or the sqlite3 shell. No database driver is
 * loaded: pass your own pool or database handle.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { migrate } from 'versioned-sessions/migrations';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const report = await migrate({ dialect: 'postgres', pool });
 * console.log(report.applied.map((migration) => migration.id));
 * ```
 * @module versioned-sessions/migrations
 */
import { DIALECTS, type Dialect } from '../core/dialect.js';
import { expectBoolean, expectObject, expectOneOf, expectThat } from '../core/validate.js';
import { DEFAULT_NAMES, MAX_IDENTIFIER_LENGTH, resolveNames, validateIdentifier } from '../core/sql/table-names.js';
import type { TableOptions } from '../core/sql/table-names.js';
import { mssqlMigrationAdapter, type MssqlMigrationPool } from './mssql-migrations.js';
import { mysqlMigrationAdapter, type MysqlMigrationPool } from './mysql-migrations.js';
import { postgresMigrationAdapter, type PostgresMigrationPool } from './postgres-migrations.js';
import { migrationScript, renderTemplates, renderedMigrations, sha256, type RenderedMigration } from './render.js';
import { readRecorded, runMigrations, runRemoval, type MigrationAdapter, type MigrationInfo } from './runner.js';
import { loadOptionalTemplate } from './templates.js';
import { sqliteMigrationAdapter, type SqliteMigrationDatabase } from './sqlite-migrations.js';

export { MigrationError, isMigrationError, type MigrationErrorReason } from './migration-error.js';
export type { MigrationInfo } from './runner.js';
export type { MssqlMigrationPool, MssqlMigrationRequest, MssqlMigrationTransaction } from './mssql-migrations.js';
export type { MysqlMigrationConnection, MysqlMigrationPool } from './mysql-migrations.js';
export type { PostgresMigrationClient, PostgresMigrationPool } from './postgres-migrations.js';
export type { SqliteMigrationDatabase, SqliteMigrationStatement } from './sqlite-migrations.js';
export type { Dialect } from '../core/dialect.js';

/**
 * The tracking table's name when `trackingTable` is not given, per dialect.
 *
 * @example
 * ```ts
 * DEFAULT_TRACKING_TABLE.mssql; // 'VersionedSessionsMigrations'
 * ```
 */
export const DEFAULT_TRACKING_TABLE: Readonly<Record<Dialect, string>> = Object.freeze({
  postgres: 'versioned_sessions_migrations',
  sqlite: 'versioned_sessions_migrations',
  mssql: 'VersionedSessionsMigrations',
  mysql: 'versioned_sessions_migrations',
});

/**
 * Which migrations to render: the dialect and the same names the store is configured with.
 *
 * @example
 * ```ts
 * const options: RenderOptions = { dialect: 'mssql', table: 'SesionesChat', columns: { key: 'Telefono' } };
 * ```
 */
export interface RenderOptions extends TableOptions {
  /** The database the SQL is for. */
  readonly dialect: Dialect;
  /**
   * Also apply (or render) the optional migration `guard_legacy_writes`: a trigger that bumps the
   * version on any UPDATE that changed the state or data without changing the version, so versioned
   * writers see a write from code outside the library as a conflict instead of overwriting it. Costs a
   * trigger call per UPDATE; see docs/adopting-an-existing-table.md. Recorded like the numbered
   * migrations; later runs without the option leave it in place.
   * @defaultValue false
   * @example
   * ```ts
   * await migrate({ dialect: 'postgres', pool, guardLegacyWrites: true });
   * ```
   */
  readonly guardLegacyWrites?: boolean;
  /**
   * Remove the `guard_legacy_writes` trigger and its record (after the numbered migrations), once no
   * code writes the table without the library. Idempotent. `renderMigrations` then renders only the
   * removal script.
   * @defaultValue false
   * @example
   * ```ts
   * await migrate({ dialect: 'postgres', pool, removeLegacyGuard: true });
   * ```
   */
  readonly removeLegacyGuard?: boolean;
}

/**
 * Where and how to migrate: the dialect, the caller's connection, and the store's names.
 *
 * @example
 * ```ts
 * const options: MigrateOptions = { dialect: 'sqlite', database: new Database('sessions.db'), table: 'sessions' };
 * ```
 */
export interface MigrateOptions extends RenderOptions {
  /**
   * A `pg.Pool` (or a connected `pg.Client`) for `postgres`; an `mssql.ConnectionPool` for `mssql`
   * (connected on first use when it is not); a `mysql2` pool or connection, of either API, for `mysql`
   * (`schema` is then the database, by default the connection's current one). Never closed by the runner.
   */
  readonly pool?: PostgresMigrationPool | MssqlMigrationPool | MysqlMigrationPool;
  /** A `better-sqlite3` `Database` for `sqlite`. Never closed by the runner. */
  readonly database?: SqliteMigrationDatabase;
  /**
   * The table recording applied migrations, in the sessions table's schema. Left out, it is derived
   * from the sessions table ({@link defaultTrackingTable}), so a second sessions table in the same
   * schema keeps a record of its own; a sessions table recorded in the shared default tracking table
   * by an earlier version (its record matching these names) goes on being read there.
   * @defaultValue `versioned_sessions_migrations` (PostgreSQL, SQLite, MySQL) / `VersionedSessionsMigrations` (SQL Server)
   *   for the default sessions table; `<that>_<table>` for another one
   */
  readonly trackingTable?: string;
}

/**
 * What {@link migrate} did.
 *
 * @example
 * ```ts
 * const report: MigrationReport = await migrate({ dialect: 'postgres', pool });
 * if (report.applied.length === 0) console.log('schema already up to date');
 * ```
 */
export interface MigrationReport {
  /** The dialect migrated. */
  readonly dialect: Dialect;
  /** The quoted, qualified tracking table. */
  readonly trackingTable: string;
  /** Migrations this call applied, in order. */
  readonly applied: readonly MigrationInfo[];
  /** Migrations that were already recorded. */
  readonly alreadyApplied: readonly MigrationInfo[];
  /** With `removeLegacyGuard`: the optional migrations removed (`['guard_legacy_writes']`). */
  readonly removed?: readonly string[];
}

/**
 * Applied and pending migrations, and any record that does not match the package.
 *
 * @example
 * ```ts
 * const { pending } = await migrationStatus({ dialect: 'sqlite', database });
 * if (pending.length > 0) console.warn(`run: npx versioned-sessions migrate (${pending.length} pending)`);
 * ```
 */
export interface MigrationStatus {
  /** The dialect read. */
  readonly dialect: Dialect;
  /** The quoted, qualified tracking table. */
  readonly trackingTable: string;
  /** Recorded migrations, with the recorded checksum and time. */
  readonly applied: readonly MigrationInfo[];
  /** Packaged migrations not recorded yet. */
  readonly pending: readonly MigrationInfo[];
  /** Recorded migrations whose checksum differs from the package's rendering (migrate refuses them). */
  readonly changed: readonly MigrationInfo[];
  /** Recorded migrations the package does not ship: the database is ahead (migrate refuses them). */
  readonly unknown: readonly MigrationInfo[];
}

function validateDialect(options: unknown): Dialect {
  expectObject('options', options);
  const dialect = (options as { dialect?: unknown }).dialect;
  expectOneOf('dialect', dialect, DIALECTS);
  return dialect;
}

function tableOptions(options: RenderOptions): TableOptions {
  const { schema, table, columns, processedTable, historyTable } = options;
  return {
    ...(schema === undefined ? {} : { schema }),
    ...(table === undefined ? {} : { table }),
    ...(columns === undefined ? {} : { columns }),
    ...(processedTable === undefined ? {} : { processedTable }),
    ...(historyTable === undefined ? {} : { historyTable }),
  };
}

/**
 * The tracking table `migrate` uses for a sessions table when `trackingTable` is not given: the
 * dialect's {@link DEFAULT_TRACKING_TABLE} for the default sessions table, and that name followed by
 * `_<table>` for any other, so each sessions table in a schema keeps its own record (a name that
 * would be too long for the dialect ends in a hash of the table's name instead).
 *
 * @example
 * ```ts
 * defaultTrackingTable('postgres', 'sesiones_chat'); // 'versioned_sessions_migrations_sesiones_chat'
 * defaultTrackingTable('mssql', 'Sessions'); // 'VersionedSessionsMigrations'
 * ```
 */
export function defaultTrackingTable(dialect: Dialect, table: string): string {
  const shared = DEFAULT_TRACKING_TABLE[dialect];
  if (table === DEFAULT_NAMES[dialect].table) return shared;
  // SQL Server's tracking table also names the constraint DF_<trackingTable>_AppliedAt.
  const max =
    dialect === 'mssql' ? MAX_IDENTIFIER_LENGTH.mssql - 'DF__AppliedAt'.length : MAX_IDENTIFIER_LENGTH[dialect];
  const derived = `${shared}_${table}`;
  return derived.length <= max ? derived : `${shared}_${sha256(table).slice(0, 16)}`;
}

function hasMethods(value: unknown, ...methods: string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  );
}

/** The optional legacy-writer guard asked for: install, remove, or neither. */
function legacyGuardOption(options: RenderOptions): 'install' | 'remove' | undefined {
  expectBoolean('guardLegacyWrites', options.guardLegacyWrites, { optional: true });
  expectBoolean('removeLegacyGuard', options.removeLegacyGuard, { optional: true });
  expectThat(
    !(options.guardLegacyWrites === true && options.removeLegacyGuard === true),
    'removeLegacyGuard',
    'be left out when guardLegacyWrites is true',
    true,
    { hint: 'Install the guard or remove it, not both.' },
  );
  if (options.guardLegacyWrites === true) return 'install';
  return options.removeLegacyGuard === true ? 'remove' : undefined;
}

/** What a run works with: the migrations to apply, every migration whose record it may meet, the removal. */
interface Plan {
  readonly migrations: RenderedMigration[];
  readonly known: RenderedMigration[];
  readonly removal: RenderedMigration | undefined;
}

function plan(dialect: Dialect, names: ReturnType<typeof resolveNames>, guard: 'install' | 'remove' | undefined): Plan {
  const numbered = renderedMigrations(dialect, names);
  const [install, removal] = renderTemplates(
    dialect,
    [loadOptionalTemplate(dialect, 'guard_legacy_writes'), loadOptionalTemplate(dialect, 'remove_legacy_guard')],
    names,
  );
  return {
    migrations: guard === 'install' ? [...numbered, install!] : numbered,
    known: [...numbered, install!],
    removal: guard === 'remove' ? removal : undefined,
  };
}

/** What {@link prepare} checked: the plan, and the adapter of any tracking table. */
interface Prepared {
  readonly plan: Plan;
  /** The tracking table to use, or `null` when it is to be chosen between the derived and the shared one. */
  readonly trackingTable: string | null;
  readonly derived: string;
  readonly shared: string;
  adapterFor(trackingTable: string): MigrationAdapter;
}

/** Every option validated before anything touches the database, and a way to make the adapter. */
function prepare(options: MigrateOptions): Prepared {
  const dialect = validateDialect(options);
  const names = resolveNames(dialect, tableOptions(options));
  const guard = legacyGuardOption(options);
  const trackingTable =
    options.trackingTable === undefined ? null : validateIdentifier(dialect, 'trackingTable', options.trackingTable);
  const common = {
    plan: plan(dialect, names, guard),
    trackingTable,
    derived: defaultTrackingTable(dialect, names.table),
    shared: DEFAULT_TRACKING_TABLE[dialect],
  };
  if (dialect === 'sqlite') {
    expectThat(
      hasMethods(options.database, 'prepare', 'exec'),
      'database',
      'be a better-sqlite3 Database for the sqlite dialect',
      options.database,
    );
    return { ...common, adapterFor: (table) => sqliteMigrationAdapter(options.database!, table) };
  }
  if (dialect === 'postgres') {
    expectThat(
      hasMethods(options.pool, 'query'),
      'pool',
      'be a pg.Pool or a connected pg.Client for the postgres dialect',
      options.pool,
    );
    return {
      ...common,
      adapterFor: (table) => postgresMigrationAdapter(options.pool as PostgresMigrationPool, names.schema!, table),
    };
  }
  if (dialect === 'mysql') {
    expectThat(
      hasMethods(options.pool, 'query'),
      'pool',
      'be a mysql2 pool or connection for the mysql dialect',
      options.pool,
    );
    return {
      ...common,
      adapterFor: (table) => mysqlMigrationAdapter(options.pool as MysqlMigrationPool, names.schema, table),
    };
  }
  expectThat(
    hasMethods(options.pool, 'request', 'transaction'),
    'pool',
    'be an mssql.ConnectionPool for the mssql dialect',
    options.pool,
  );
  // The tracking table's default constraint is named DF_<trackingTable>_AppliedAt; SQL Server names stop at 128.
  if (trackingTable !== null) {
    expectThat(
      `DF_${trackingTable}_AppliedAt`.length <= MAX_IDENTIFIER_LENGTH.mssql,
      'trackingTable',
      `be at most ${MAX_IDENTIFIER_LENGTH.mssql - 'DF__AppliedAt'.length} characters on SQL Server`,
      trackingTable,
      { hint: `Its constraint DF_<trackingTable>_AppliedAt must fit in ${MAX_IDENTIFIER_LENGTH.mssql}.` },
    );
  }
  return { ...common, adapterFor: (table) => mssqlMigrationAdapter(options.pool as MssqlMigrationPool, names, table) };
}

/**
 * The adapter of the tracking table these names are recorded in. Given, it is that one. Otherwise the
 * one derived from the sessions table, except where an earlier version recorded this very sessions
 * table in the shared default tracking table (which it used for every table): a record there whose
 * first migration has these names' checksum is this table's, and stays where it is, so a database
 * migrated before keeps showing as up to date. Records of another sessions table there are left alone.
 */
async function chooseAdapter(prepared: Prepared): Promise<MigrationAdapter> {
  if (prepared.trackingTable !== null) return prepared.adapterFor(prepared.trackingTable);
  const derived = prepared.adapterFor(prepared.derived);
  if (prepared.derived === prepared.shared) return derived;
  if ((await readRecorded(derived)).length > 0) return derived;
  const shared = prepared.adapterFor(prepared.shared);
  const first = prepared.plan.migrations[0];
  const recorded = await readRecorded(shared);
  const ours = recorded.some((row) => row.id === first?.id && row.checksum.trim() === first.checksum);
  return ours ? shared : derived;
}

/**
 * Applies the pending packaged migrations, each in its own transaction with its tracking row, under
 * the dialect's migration lock (`pg_advisory_xact_lock`, `BEGIN IMMEDIATE`, `sp_getapplock`,
 * `GET_LOCK()`), so concurrent callers apply each migration once. MySQL commits DDL statement by
 * statement: there a migration is recorded once its statements have succeeded. Running it again is a no-op; running it after the same
 * SQL was applied by hand re-applies the idempotent files and records them.
 *
 * @throws InvalidArgumentError for a bad option (nothing is touched).
 * @throws {@link MigrationError} when a recorded checksum differs, when the database records a
 *   migration this package does not ship, when a migration fails (it is rolled back), or when the login
 *   lacks a right the migrations need (`reason: 'insufficient-privilege'`, naming the right: run
 *   migrations under the schema owner's login, not the application's).
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { migrate } from 'versioned-sessions/migrations';
 *
 * await migrate({ dialect: 'sqlite', database: new Database('sessions.db'), table: 'SesionesChat', columns: { key: 'Telefono' } });
 * ```
 */
export async function migrate(options: MigrateOptions): Promise<MigrationReport> {
  const prepared = prepare(options);
  const { plan } = prepared;
  const adapter = await chooseAdapter(prepared);
  const outcome = await runMigrations(adapter, plan.migrations, plan.known);
  const report = { dialect: adapter.dialect, trackingTable: adapter.trackingLabel, ...outcome };
  if (plan.removal === undefined) return report;
  await runRemoval(adapter, plan.removal, 'guard_legacy_writes', plan.known);
  return { ...report, removed: ['guard_legacy_writes'] };
}

/**
 * Reads which packaged migrations are applied and which are pending, without taking the lock or
 * creating anything.
 *
 * @throws {@link MigrationError} with `reason: 'insufficient-privilege'` when the login cannot read the
 *   tracking table.
 * @example
 * ```ts
 * const status = await migrationStatus({ dialect: 'postgres', pool, schema: 'bot' });
 * for (const migration of status.pending) console.log('pending', migration.id);
 * ```
 */
export async function migrationStatus(options: MigrateOptions): Promise<MigrationStatus> {
  const prepared = prepare(options);
  const { plan } = prepared;
  const migrations = plan.migrations;
  const adapter = await chooseAdapter(prepared);
  const recorded = await readRecorded(adapter);
  const recordedIds = new Set(recorded.map((row) => row.id));
  const packaged = new Map(plan.known.map((migration) => [migration.id, migration]));
  const applied = recorded.map((row) => ({ id: row.id, checksum: row.checksum, appliedAt: row.appliedAt }));
  return {
    dialect: adapter.dialect,
    trackingTable: adapter.trackingLabel,
    applied,
    pending: migrations
      .filter((migration) => !recordedIds.has(migration.id))
      .map(({ id, checksum }) => ({ id, checksum })),
    changed: applied.filter((row) => packaged.has(row.id) && packaged.get(row.id)!.checksum !== row.checksum),
    unknown: applied.filter((row) => !packaged.has(row.id)),
  };
}

/**
 * Renders every packaged migration for `options` as one script for the dialect's own tool
 * (`psql -f`, `sqlcmd -i`, `mysql`, the sqlite3 shell). Each migration is headed by its id and checksum.
 *
 * @throws InvalidArgumentError for a bad dialect or name.
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('sessions.sql', renderMigrations({ dialect: 'mssql', schema: 'bot' }));
 * ```
 */
export function renderMigrations(options: RenderOptions): string {
  const dialect = validateDialect(options);
  const names = resolveNames(dialect, tableOptions(options));
  const guard = legacyGuardOption(options);
  const { migrations, removal } = plan(dialect, names, guard);
  return migrationScript(dialect, removal === undefined ? migrations : [removal], names);
}
