/**
 * SQLite for the migration runner: `BEGIN IMMEDIATE` takes the database's write lock before anything
 * is read, so a second migrator (another connection or process) waits for the first to commit and
 * then finds its record. Statements run one by one so their guards can be evaluated.
 *
 * @module
 */
import type { AppliedMigration, MigrationAdapter, MigrationTransaction } from './runner.js';
import { splitSqliteScript, type SqliteGuard } from './sqlite-script.js';
import { ConnectionQueue } from '../core/sql/transaction.js';

/**
 * The slice of a `better-sqlite3` statement the runner calls.
 *
 * @example
 * ```ts
 * const statement: SqliteMigrationStatement = database.prepare('SELECT 1');
 * ```
 */
export interface SqliteMigrationStatement {
  /** Runs a statement that returns rows and returns them all. */
  all(params?: Record<string, unknown>): unknown[];
  /** Runs a statement that returns no rows. */
  run(params?: Record<string, unknown>): unknown;
}

/**
 * The slice of a `better-sqlite3` `Database` the runner calls.
 *
 * @example
 * ```ts
 * const database: SqliteMigrationDatabase = new Database('sessions.db');
 * ```
 */
export interface SqliteMigrationDatabase {
  /** Compiles one statement. */
  prepare(sql: string): SqliteMigrationStatement;
  /** Runs SQL without results (`BEGIN IMMEDIATE`, `COMMIT`, `ROLLBACK`). */
  exec(sql: string): unknown;
  /** Whether a transaction is open, so a failed migration is rolled back only when one is. */
  readonly inTransaction: boolean;
}

const GUARD_QUERIES: Readonly<Record<SqliteGuard['kind'], string>> = {
  'skip-if-column-exists': 'SELECT 1 FROM pragma_table_info(@table) WHERE name = @column COLLATE NOCASE',
  'skip-if-unique':
    'SELECT 1 FROM pragma_table_info(@table) WHERE pk = 1 AND name = @column COLLATE NOCASE ' +
    '  AND (SELECT COUNT(*) FROM pragma_table_info(@table) WHERE pk > 0) = 1 ' +
    'UNION ALL ' +
    'SELECT 1 FROM pragma_index_list(@table) AS list WHERE list."unique" = 1 ' +
    '  AND (SELECT COUNT(*) FROM pragma_index_info(list.name)) = 1 ' +
    '  AND (SELECT name FROM pragma_index_info(list.name)) = @column COLLATE NOCASE',
  'skip-if-index-exists': 'SELECT 1 FROM pragma_index_list(@table) WHERE name = @column COLLATE NOCASE',
};

// One connection cannot nest BEGIN IMMEDIATE: concurrent migrate() calls on the same handle take turns.
const queues = new WeakMap<object, ConnectionQueue>();

function serialised<T>(database: object, work: () => Promise<T>): Promise<T> {
  let queue = queues.get(database);
  if (queue === undefined) {
    queue = new ConnectionQueue();
    queues.set(database, queue);
  }
  return queue.run(work);
}

/** The SQLite adapter over the caller's database; `trackingTable` is a validated identifier. */
export function sqliteMigrationAdapter(database: SqliteMigrationDatabase, trackingTable: string): MigrationAdapter {
  const table = `"${trackingTable}"`;
  const selectApplied = `SELECT id, checksum, applied_at FROM ${table} ORDER BY id`;
  const readRows = (): AppliedMigration[] =>
    (database.prepare(selectApplied).all() as Record<string, unknown>[]).map((row) => ({
      id: String(row['id']),
      checksum: String(row['checksum']),
      appliedAt: new Date(String(row['applied_at'])),
    }));
  const guardHolds = (guard: SqliteGuard): boolean =>
    database.prepare(GUARD_QUERIES[guard.kind]).all({ table: guard.table, column: guard.column }).length > 0;

  return {
    dialect: 'sqlite',
    trackingLabel: table,
    missingRight(error, stage) {
      const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
      if (typeof code !== 'string' || !/^SQLITE_(READONLY|PERM|AUTH|CANTOPEN)/.test(code)) return undefined;
      return stage === 'read'
        ? 'read access to the database file'
        : 'a read-write connection, and write access to the database file and the folder it is in (for the journal)';
    },
    readApplied() {
      const present = database
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = @name")
        .all({ name: trackingTable });
      return Promise.resolve(present.length === 0 ? [] : readRows());
    },
    inLockedTransaction(work) {
      return serialised(database, async () => {
        // Waits up to the connection's busy_timeout (better-sqlite3: 5 s unless configured) for another writer.
        database.exec('BEGIN IMMEDIATE');
        try {
          database.exec(
            `CREATE TABLE IF NOT EXISTS ${table} (id TEXT NOT NULL PRIMARY KEY, checksum TEXT NOT NULL, ` +
              "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
          );
          const transaction: MigrationTransaction = {
            readApplied: () => Promise.resolve(readRows()),
            record(migration) {
              database
                .prepare(`INSERT INTO ${table} (id, checksum) VALUES (@id, @checksum)`)
                .run({ id: migration.id, checksum: migration.checksum });
              return Promise.resolve();
            },
            forget(id) {
              database.prepare(`DELETE FROM ${table} WHERE id = @id`).run({ id });
              return Promise.resolve();
            },
            apply(migration) {
              for (const statement of splitSqliteScript(migration.sql)) {
                if (!statement.guards.some(guardHolds)) database.exec(statement.sql);
              }
              return Promise.resolve();
            },
          };
          const result = await work(transaction);
          database.exec('COMMIT');
          return result;
        } catch (error) {
          if (database.inTransaction) database.exec('ROLLBACK');
          throw error;
        }
      });
    },
  };
}
