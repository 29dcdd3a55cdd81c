/**
 * SQL Server for the migration runner: one transaction per migration holding an application lock, the
 * tracking row written first, and the migration's T-SQL sent batch by batch as sqlcmd would (`GO`).
 *
 * @module
 */
import { hasErrorNumber } from '../mssql/mssql-errors.js';
import type { AppliedMigration, MigrationAdapter, MigrationTransaction } from './runner.js';
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
  /** A new transaction, one per migration. */
  transaction(): MssqlMigrationTransaction;
  /** Whether the pool is connected; one that is not is connected first. */
  readonly connected?: boolean;
  /** Connects the pool. */
  connect?(): Promise<unknown>;
}

// Owned by the transaction, so COMMIT or ROLLBACK releases it, and a migrator whose connection dies
// releases it with the transaction. A 'Session' lock would outlive a failed migration on a pooled
// connection that goes back to the pool still holding it. The request timeout bounds the wait.
const TAKE_LOCK = `
DECLARE @status int;
EXEC @status = sp_getapplock @Resource = @resource, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = -1;
IF @status < 0 THROW 51000, 'versioned-sessions: sp_getapplock did not grant the migration lock.', 1;`;

/** The SQL Server adapter over the caller's connected pool; names are validated identifiers. */
export function mssqlMigrationAdapter(
  pool: MssqlMigrationPool,
  schema: string,
  trackingTable: string,
): MigrationAdapter {
  const table = `[${schema}].[${trackingTable}]`;
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
      const transaction = pool.transaction();
      await transaction.begin();
      try {
        await transaction.request().input('resource', `versioned-sessions:${schema}.${trackingTable}`).query(TAKE_LOCK);
        await transaction.request().input('schema', schema).input('table', table).query(createTracking);
        const steps: MigrationTransaction = {
          readApplied: async () => toApplied((await transaction.request().query(selectApplied)).recordset),
          record: async (migration) =>
            void (await transaction
              .request()
              .input('id', migration.id)
              .input('checksum', migration.checksum)
              .query(`INSERT INTO ${table} (Id, Checksum) VALUES (@id, @checksum)`)),
          async apply(migration) {
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
        await transaction.commit();
        return result;
      } catch (error) {
        // A batch error may already have ended the transaction on the server (XACT_ABORT); that is fine.
        await transaction.rollback().catch(() => undefined);
        throw error;
      }
    },
  };
}
