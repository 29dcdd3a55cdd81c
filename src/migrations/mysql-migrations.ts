/**
 * MySQL / MariaDB for the migration runner. Their DDL is not transactional (each `CREATE` or `ALTER`
 * commits by itself), so the lock is a named lock on one connection, `GET_LOCK()`, held while the
 * migration runs and released by the server if that connection dies; the tracking row is written
 * after the migration's statements succeed, so a migration that fails half-way is not recorded and
 * its idempotent statements run again next time. Statements run one by one, each after its guard.
 *
 * @module
 */
import { sha256 } from './render.js';
import type { AppliedMigration, MigrationAdapter, MigrationTransaction } from './runner.js';
import { splitSqliteScript, type SqliteGuard } from './sqlite-script.js';

/**
 * The slice of a `mysql2` promise-API connection the runner calls.
 *
 * @example
 * ```ts
 * const connection: MysqlMigrationConnection = await mysql.createConnection(process.env.DATABASE_URL!);
 * ```
 */
export interface MysqlMigrationConnection {
  /** Runs one statement with `?` parameters and returns `[rows, fields]`. */
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
}

/**
 * The slice of a `mysql2` pool or connection the runner accepts, of either API: a callback-API object
 * has `promise()`, which the runner calls; a pool's `getConnection()` gives the runner one connection
 * for the lock and the statements, released when it is done.
 *
 * @example
 * ```ts
 * const pool: MysqlMigrationPool = mysql.createPool(process.env.DATABASE_URL!);
 * ```
 */
export interface MysqlMigrationPool {
  /** Runs one statement. */
  query(...args: never[]): unknown;
  /** The promise API of a callback-API pool or connection. */
  promise?(...args: never[]): unknown;
  /** Checks out a connection (pools only). */
  getConnection?(...args: never[]): unknown;
}

interface PooledConnection extends MysqlMigrationConnection {
  release(): void;
  destroy(): void;
}

// Database, table, column and global-privilege access denied: a right the login lacks.
const ACCESS_DENIED = new Set([1044, 1142, 1143, 1227]);

// How long a second migrator waits for the first before failing.
const LOCK_TIMEOUT_SECONDS = 120;

const quote = (name: string): string => `\`${name.split('`').join('``')}\``;

const GUARD_QUERIES: Readonly<Record<SqliteGuard['kind'], string>> = {
  'skip-if-column-exists':
    'SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
  // The column alone is the primary key or has a unique index of its own.
  'skip-if-unique':
    'SELECT 1 FROM information_schema.STATISTICS AS s WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = ? ' +
    'AND s.NON_UNIQUE = 0 AND s.COLUMN_NAME = ? AND s.SUB_PART IS NULL AND (SELECT COUNT(*) FROM information_schema.STATISTICS AS o ' +
    'WHERE o.TABLE_SCHEMA = s.TABLE_SCHEMA AND o.TABLE_NAME = s.TABLE_NAME AND o.INDEX_NAME = s.INDEX_NAME) = 1',
  // The operand is the index name; index names are not case-sensitive in MySQL.
  'skip-if-index-exists':
    'SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?',
};

function rowsOf(result: [unknown, unknown]): Record<string, unknown>[] {
  return Array.isArray(result[0]) ? (result[0] as Record<string, unknown>[]) : [];
}

/** The promise API of `pool`, whichever API it was given in. */
function promised(pool: MysqlMigrationPool): MysqlMigrationPool {
  return typeof pool.promise === 'function' ? (pool.promise() as MysqlMigrationPool) : pool;
}

/**
 * The MySQL adapter over the caller's pool or connection. `database` (a validated identifier) is the
 * one the tables live in, or `null` for the connection's current database; `trackingTable` is a
 * validated identifier.
 */
export function mysqlMigrationAdapter(
  given: MysqlMigrationPool,
  database: string | null,
  trackingTable: string,
): MigrationAdapter {
  const pool = promised(given);
  const table = database === null ? quote(trackingTable) : `${quote(database)}.${quote(trackingTable)}`;
  const selectApplied = `SELECT id, checksum, DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS applied_at FROM ${table} ORDER BY id`;
  const toApplied = (rows: Record<string, unknown>[]): AppliedMigration[] =>
    rows.map((row) => ({
      id: String(row['id']),
      checksum: String(row['checksum']),
      appliedAt: new Date(String(row['applied_at'])),
    }));
  // GET_LOCK names are at most 64 characters and server-wide: one lock per database and tracking table.
  const lockName = (current: string): string =>
    `versioned-sessions:${sha256(`${current}.${trackingTable}`).slice(0, 40)}`;
  const connection = pool as MysqlMigrationConnection;

  return {
    dialect: 'mysql',
    trackingLabel: table,
    missingRight(error, stage) {
      const errno = typeof error === 'object' && error !== null ? (error as { errno?: unknown }).errno : undefined;
      if (typeof errno !== 'number' || !ACCESS_DENIED.has(errno)) return undefined;
      return stage === 'read'
        ? `SELECT on ${table}`
        : `CREATE, ALTER, INDEX, SELECT, INSERT, UPDATE and DELETE on ${database === null ? 'the database' : quote(database)}.*`;
    },
    async readApplied() {
      const present = rowsOf(
        await connection.query(
          'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?',
          [database, trackingTable],
        ),
      );
      if (present.length === 0) return [];
      return toApplied(rowsOf(await connection.query(selectApplied)));
    },
    async inLockedTransaction(work) {
      const pooled = typeof pool.getConnection === 'function';
      const client = (
        pooled ? await (pool.getConnection as () => Promise<PooledConnection>)() : pool
      ) as PooledConnection;
      const original = rowsOf(await client.query('SELECT DATABASE() AS name'))[0]?.['name'];
      let lock: string | undefined;
      let reusable = true;
      try {
        // The migrations name their tables unqualified: they are applied in `database`.
        if (database !== null && database !== original) await client.query(`USE ${quote(database)}`);
        const current = database ?? (typeof original === 'string' ? original : null);
        if (current === null)
          throw new Error('the connection has no current database: put one in the URL or pass `schema`.');
        const name = lockName(current);
        const acquired = rowsOf(
          await client.query('SELECT GET_LOCK(?, ?) AS acquired', [name, LOCK_TIMEOUT_SECONDS]),
        )[0]?.['acquired'];
        if (Number(acquired) !== 1) {
          throw new Error(
            `another migrator has held the lock ${name} for ${LOCK_TIMEOUT_SECONDS} s; try again when it is done.`,
          );
        }
        lock = name;
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${quote(trackingTable)} (id VARCHAR(255) NOT NULL PRIMARY KEY, checksum CHAR(64) NOT NULL, ` +
            'applied_at DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3))) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
        );
        const recorded: { id: string; checksum: string }[] = [];
        const forgotten: string[] = [];
        const guardHolds = async (guard: SqliteGuard): Promise<boolean> =>
          rowsOf(await client.query(GUARD_QUERIES[guard.kind], [guard.table, guard.column])).length > 0;
        const transaction: MigrationTransaction = {
          readApplied: async () => toApplied(rowsOf(await client.query(selectApplied))),
          // Written once the migration's statements have succeeded (see below).
          record: (migration) => {
            recorded.push({ id: migration.id, checksum: migration.checksum });
            return Promise.resolve();
          },
          // Deleted after the removal's statements succeeded, like a record is written after them.
          forget: (id) => {
            forgotten.push(id);
            return Promise.resolve();
          },
          async apply(migration) {
            for (const statement of splitSqliteScript(migration.sql)) {
              let skip = false;
              for (const guard of statement.guards) if (await guardHolds(guard)) skip = true;
              if (!skip) await client.query(statement.sql);
            }
          },
        };
        const result = await work(transaction);
        for (const migration of recorded) {
          await client.query(
            `INSERT INTO ${quote(trackingTable)} (id, checksum, applied_at) VALUES (?, ?, UTC_TIMESTAMP(3))`,
            [migration.id, migration.checksum],
          );
        }
        for (const id of forgotten) await client.query(`DELETE FROM ${quote(trackingTable)} WHERE id = ?`, [id]);
        return result;
      } catch (error) {
        reusable = false;
        throw error;
      } finally {
        if (lock !== undefined) await client.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => (reusable = false));
        // A pooled connection goes back on the database it came with, or not at all.
        if (reusable && database !== null && database !== original) {
          await (
            typeof original === 'string'
              ? client.query(`USE ${quote(original)}`)
              : Promise.reject(new Error('no database to return to'))
          ).catch(() => (reusable = false));
        }
        if (pooled) {
          if (reusable) client.release();
          else client.destroy();
        }
      }
    },
  };
}
