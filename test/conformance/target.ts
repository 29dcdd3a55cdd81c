/**
 * What the conformance suite needs from a dialect: a way to make an isolated, migrated table and a
 * few raw statements to set up states the library itself never produces (legacy NULL versions, a
 * dropped column).
 */
import type { Dialect } from '../../src/core/dialect.js';
import type { SessionRepository } from '../../src/core/repository/repository.js';
import type { ResolvedNames, TableOptions } from '../../src/core/sql/table-names.js';
import type { SessionStore } from '../../src/core/session-store.js';
import type { Availability } from '../support/environment.js';

/** How a worker thread or process opens its own connection to the fixture's database. */
export interface WorkerConnection {
  dialect: Dialect;
  /** PostgreSQL / SQL Server URL, or the SQLite file path. */
  location: string;
  tableOptions: TableOptions;
}

export interface Fixture {
  readonly names: ResolvedNames;
  readonly tableOptions: TableOptions;
  readonly store: SessionStore;
  readonly repository: SessionRepository;
  readonly connection: WorkerConnection;
  /** Runs raw SQL with positional parameters (`$1` for PostgreSQL, `?` for SQLite, `@p1` for SQL Server). */
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The dialect's quoting of one identifier. */
  quote(name: string): string;
  /** The schema-qualified, quoted sessions table. */
  readonly table: string;
  /** Constructs another store on the fixture's connection with `options` (for option validation). */
  newStore(options: Record<string, unknown>): SessionStore;
  /**
   * A store on the fixture's table whose connection logs every statement it sends to the server
   * (`test/support/statement-counter.ts`), for the round-trip counts. Absent on a dialect whose driver
   * has no such wrapper here (SQL Server: its texts are pinned instead).
   */
  countingStore?(): { readonly store: SessionStore; readonly statements: string[] };
  /** Positional placeholder number `n` (1-based) in this dialect. */
  placeholder(n: number): string;
}

/** A transaction begun with the driver itself, as a bot would begin it around its own statements. */
export interface CallerTransaction {
  /** What the bot passes as `options.transaction`. */
  readonly handle: unknown;
  /** Runs raw SQL inside the transaction, with the fixture's placeholders. */
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface FixtureOptions {
  tableOptions?: TableOptions;
  /** Apply the packaged migrations (default true). */
  migrate?: boolean;
}

export interface DialectTarget {
  readonly dialect: Dialect;
  availability(): Promise<Availability>;
  createFixture(options?: FixtureOptions): Promise<Fixture>;
  /** Makes the version column nullable, as on a table adopted by hand before the migration. */
  makeVersionNullable(fixture: Fixture): Promise<void>;
  /** Begins a transaction on the fixture's database the way the driver's documentation shows. */
  beginTransaction(fixture: Fixture): Promise<CallerTransaction>;
  /** Drops one column of the sessions table. */
  dropColumn(fixture: Fixture, column: string): Promise<void>;
  /** Closes every fixture and connection. */
  close(): Promise<void>;
}
