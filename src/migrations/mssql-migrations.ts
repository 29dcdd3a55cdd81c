/**
 * SQL Server for the migration runner: one transaction per migration holding an application lock, the
 * tracking row written first, and the migration's T-SQL sent batch by batch as sqlcmd would (`GO`).
 *
 * @module
 */
import { hasErrorNumber } from '../mssql/mssql-errors.js';
import type { ResolvedNames } from '../core/sql/table-names.js';
import { keyColumnProblem } from '../mssql/mssql-key-column.js';
import {
  MigrationLockTimeoutError,
  type AppliedMigration,
  type MigrationAdapter,
  type MigrationTransaction,
} from './runner.js';
import { splitTsqlBatches } from './tsql-batches.js';
import { sharedAttempt } from '../core/sql/transaction.js';

// The permission was denied on an object (229) or column (230), CREATE TABLE permission denied (262),
// the user does not have permission to perform this action (297, 15247).
const PERMISSION_DENIED: ReadonlySet<number> = new Set([229, 230, 262, 297, 15247]);

/**
 * The result shape of `mssql`'s `query`.
 * @inline
 */
interface MssqlResult {
  /** The rows of the first result set. */
  recordset?: Record<string, unknown>[];
}

/**
 * The slice of an `mssql.Request` the runner calls.
 *
 * @example
 * ```ts
 * const request: MssqlMigrationRequest = pool.request();
 * ```
 */
export interface MssqlMigrationRequest {
  /** Binds one parameter, referenced as `@name`. */
  input(name: string, value: unknown): MssqlMigrationRequest;
  /** Runs a statement on the tracking table and returns its rows. */
  query(command: string): Promise<MssqlResult>;
  /** Runs one `GO`-separated batch of a migration. */
  batch(batch: string): Promise<unknown>;
}

/**
 * The slice of an `mssql.Transaction` the runner calls.
 *
 * @example
 * ```ts
 * const transaction: MssqlMigrationTransaction = pool.transaction();
 * ```
 */
export interface MssqlMigrationTransaction {
  /** Starts the migration's transaction. */
  begin(): Promise<unknown>;
  /** Commits the migration with its tracking row. */
  commit(): Promise<unknown>;
  /** Undoes a failed migration. */
  rollback(): Promise<unknown>;
  /** A request inside the transaction. */
  request(): MssqlMigrationRequest;
}

/**
 * The slice of an `mssql.ConnectionPool` the runner calls.
 *
 * @example
 * ```ts
 * const pool: MssqlMigrationPool = new sql.ConnectionPool(process.env.SQLSERVER_CONNECTION_STRING!);
 * ```
 */
export interface MssqlMigrationPool {
  /** A request outside any transaction (reading the tracking table). */
  request(): MssqlMigrationRequest;
  /**
   * A new transaction, one per migration. The runner asks for `{ requestTimeout: 0 }`: a migration's
   * batches (a `CREATE INDEX` on a large adopted table) are not cut by the pool's request timeout;
   * `mssql` releases without per-transaction overrides ignore it and keep the pool's.
   */
  transaction(overrides?: { requestTimeout?: number }): MssqlMigrationTransaction;
  /** Whether the pool is connected; one that is not is connected first. */
  readonly connected?: boolean;
  /** Connects the pool. */
  connect?(): Promise<unknown>;
}

/**
 * How long a migrator waits for a lock, in milliseconds: for the migration lock held by another
 * migrator, and for the locks a migration's DDL needs on a table the application is using (an ALTER
 * TABLE waits for running transactions and holds up new ones meanwhile). Past it the run stops with a
 * MigrationError instead of waiting on.
 */
export const MSSQL_MIGRATION_LOCK_TIMEOUT_MS = 60_000;

// Owned by the transaction, so COMMIT or ROLLBACK releases it, and a migrator whose connection dies
// releases it with the transaction. A 'Session' lock would outlive a failed migration on a pooled
// connection that goes back to the pool still holding it. SET LOCK_TIMEOUT bounds every lock wait of
// the migration's batches on this connection (it stays in effect for the connection, so it is set back
// to the server's default, -1, before the connection goes back to the pool); sp_getapplock returns -1
// when its own wait runs out, and no error.
const LOCK_NOT_GRANTED = 51001;
const TAKE_LOCK = `
DECLARE @status int;
SET LOCK_TIMEOUT ${MSSQL_MIGRATION_LOCK_TIMEOUT_MS};
EXEC @status = sp_getapplock @Resource = @resource, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = ${MSSQL_MIGRATION_LOCK_TIMEOUT_MS};
IF @status = -1 THROW ${LOCK_NOT_GRANTED}, 'versioned-sessions: another migrator holds the migration lock.', 1;
IF @status < 0 THROW 51000, 'versioned-sessions: sp_getapplock did not grant the migration lock.', 1;`;
const RESTORE_LOCK_TIMEOUT = 'SET LOCK_TIMEOUT -1;';

// The sessions table's key column as the catalog has it (no row: the table is not there yet).
const KEY_COLUMN_TYPE =
  'SELECT DATA_TYPE AS data_type, CHARACTER_MAXIMUM_LENGTH AS max_length ' +
  'FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table AND COLUMN_NAME = @column';

/** The SQL Server adapter over the caller's connected pool; names are validated identifiers. */
export function mssqlMigrationAdapter(
  pool: MssqlMigrationPool,
  names: ResolvedNames,
  trackingTable: string,
): MigrationAdapter {
  const schema = names.schema!;
  const table = `[${schema}].[${trackingTable}]`;
  const sessionsTable = `[${schema}].[${names.table}]`;
  const keyColumn = `[${names.columns.key}]`;
  const selectApplied = `SELECT Id AS id, Checksum AS checksum, AppliedAt AS applied_at FROM ${table} ORDER BY Id`;
  const toApplied = (rows: Record<string, unknown>[] | undefined): AppliedMigration[] =>
    (rows ?? []).map((row) => ({
      id: String(row['id']),
      checksum: String(row['checksum']),
      appliedAt: new Date(row['applied_at'] as Date),
    }));
  // Names are plain identifiers (validated), so they can sit inside the dynamic SQL's brackets.
  const createTracking = `
IF SCHEMA_ID(@schema) IS NULL EXEC(N'CREATE SCHEMA [${schema}]');
IF OBJECT_ID(@table, N'U') IS NULL
  CREATE TABLE ${table} (
    Id nvarchar(255) NOT NULL CONSTRAINT [PK_${trackingTable}] PRIMARY KEY,
    Checksum char(64) NOT NULL,
    AppliedAt datetime2(3) NOT NULL CONSTRAINT [DF_${trackingTable}_AppliedAt] DEFAULT SYSUTCDATETIME()
  );`;

  // A pool that is not connected yet is connected once, however many calls are waiting for it.
  const connect = sharedAttempt(async () => pool.connect?.());
  const ready = async (): Promise<void> => {
    if (pool.connected !== false || pool.connect === undefined) return;
    await connect();
  };

  return {
    dialect: 'mssql',
    trackingLabel: table,
    missingRight(error, stage) {
      // apply() wraps a batch's error with the batch's line; the driver's error is its cause.
      const inner = error instanceof Error && error.cause !== undefined ? error.cause : error;
      if (!hasErrorNumber(inner, PERMISSION_DENIED)) return undefined;
      return stage === 'read'
        ? `SELECT on ${table}`
        : `CREATE TABLE in the database and ALTER on schema [${schema}] (or db_ddladmin), as the schema's owner has`;
    },
    async readApplied() {
      await ready();
      const present = await pool.request().input('table', table).query("SELECT OBJECT_ID(@table, N'U') AS id");
      if (present.recordset?.[0]?.['id'] === null || present.recordset?.[0] === undefined) return [];
      return toApplied((await pool.request().query(selectApplied)).recordset);
    },
    async inLockedTransaction(work) {
      await ready();
      const transaction = pool.transaction({ requestTimeout: 0 });
      await transaction.begin();
      try {
        try {
          await transaction
            .request()
            .input('resource', `versioned-sessions:${schema}.${trackingTable}`)
            .query(TAKE_LOCK);
        } catch (error) {
          if (!hasErrorNumber(error, new Set([LOCK_NOT_GRANTED]))) throw error;
          throw new MigrationLockTimeoutError(
            `Another migrator has held the migration lock of ${table} for ${MSSQL_MIGRATION_LOCK_TIMEOUT_MS / 1000} s: it is ` +
              'probably still applying a migration (a long CREATE INDEX, say). Wait for it to finish and run migrate again; ' +
              'once it is done, migrate finds the migrations applied and changes nothing.',
            { cause: error },
          );
        }
        await transaction.request().input('schema', schema).input('table', table).query(createTracking);
        const steps: MigrationTransaction = {
          readApplied: async () => toApplied((await transaction.request().query(selectApplied)).recordset),
          record: async (migration) =>
            void (await transaction
              .request()
              .input('id', migration.id)
              .input('checksum', migration.checksum)
              .query(`INSERT INTO ${table} (Id, Checksum) VALUES (@id, @checksum)`)),
          forget: async (id) =>
            void (await transaction.request().input('id', id).query(`DELETE FROM ${table} WHERE Id = @id;`)),
          async apply(migration) {
            // An existing table whose key column cannot be indexed or cannot hold a phone number is
            // refused before any of its batches runs, with the statement that fixes it.
            const [column] =
              (
                await transaction
                  .request()
                  .input('schema', schema)
                  .input('table', names.table)
                  .input('column', names.columns.key)
                  .query(KEY_COLUMN_TYPE)
              ).recordset ?? [];
            if (column !== undefined) {
              const problem = keyColumnProblem(sessionsTable, keyColumn, {
                dataType: String(column['data_type']),
                maxLength: typeof column['max_length'] === 'number' ? column['max_length'] : null,
              });
              if (problem !== undefined) throw new Error(problem.replace(/\.$/, ''));
            }
            for (const batch of splitTsqlBatches(migration.sql)) {
              for (let run = 0; run < batch.repeat; run++) {
                try {
                  await transaction.request().batch(batch.text);
                } catch (error) {
                  const message = error instanceof Error ? error.message : String(error);
                  throw new Error(`the batch starting on line ${batch.line} failed: ${message}`, { cause: error });
                }
              }
            }
          },
        };
        const result = await work(steps);
        await transaction.request().batch(RESTORE_LOCK_TIMEOUT);
        await transaction.commit();
        return result;
      } catch (error) {
        // A batch error may already have ended the transaction on the server (XACT_ABORT); that is fine.
        await transaction
          .request()
          .batch(RESTORE_LOCK_TIMEOUT)
          .catch(() => undefined);
        await transaction.rollback().catch(() => undefined);
        throw error;
      }
    },
  };
}
