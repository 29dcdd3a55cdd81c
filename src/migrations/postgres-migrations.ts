/**
 * PostgreSQL for the migration runner: the tracking table, a transaction-scoped advisory lock, and
 * the migration text sent as one simple-protocol query (PostgreSQL's DDL is transactional).
 *
 * @module
 */
import type { AppliedMigration, MigrationAdapter, MigrationTransaction } from './runner.js';
import { sha256 } from './render.js';
import { isPostgresPool } from '../postgres/postgres-driver.js';

/**
 * The result shape of `pg`'s `query`.
 * @inline
 */
interface PostgresResult {
  /** The rows returned. */
  rows: Record<string, unknown>[];
}

/**
 * The slice of a `pg.Client` / `pg.PoolClient` the runner calls. A query without `values` goes over
 * the simple protocol, which accepts a whole migration file at once.
 *
 * @example
 * ```ts
 * const client: PostgresMigrationClient = new pg.Client({ connectionString });
 * ```
 */
export interface PostgresMigrationClient {
  /** Runs one statement, or a whole migration file when `values` is left out. */
  query(config: { text: string; values?: unknown[] }): Promise<PostgresResult>;
}

/**
 * The slice of a `pg.Pool` (or a connected `pg.Client`) the runner calls.
 *
 * @example
 * ```ts
 * const pool: PostgresMigrationPool = new pg.Pool({ connectionString });
 * ```
 */
export interface PostgresMigrationPool extends PostgresMigrationClient {
  /** Checks out a client (a `pg.Pool`), so each migration's transaction runs on one connection. */
  connect?(): Promise<unknown>;
}

/** A signed 64-bit advisory lock key derived from the tracking table's name: one lock per schema and table. */
function lockKey(schema: string, trackingTable: string): string {
  return BigInt.asIntN(
    64,
    BigInt(`0x${sha256(`versioned-sessions:${schema}.${trackingTable}`).slice(0, 16)}`),
  ).toString();
}

const quote = (name: string): string => `"${name}"`;

/** SQLSTATE insufficient_privilege: "permission denied for …", "must be owner of …". */
const INSUFFICIENT_PRIVILEGE = '42501';

function isInsufficientPrivilege(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === INSUFFICIENT_PRIVILEGE;
}

/** The PostgreSQL adapter over the caller's pool; names are validated identifiers. */
export function postgresMigrationAdapter(
  pool: PostgresMigrationPool,
  schema: string,
  trackingTable: string,
): MigrationAdapter {
  const table = `${quote(schema)}.${quote(trackingTable)}`;
  const createSchema = `CREATE SCHEMA IF NOT EXISTS ${quote(schema)};`;
  const selectApplied = `SELECT id, checksum, applied_at FROM ${table} ORDER BY id`;
  const toApplied = (rows: Record<string, unknown>[]): AppliedMigration[] =>
    rows.map((row) => ({
      id: String(row['id']),
      checksum: String(row['checksum']),
      appliedAt: new Date(row['applied_at'] as Date),
    }));

  return {
    dialect: 'postgres',
    trackingLabel: table,
    missingRight(error, stage) {
      if (!isInsufficientPrivilege(error)) return undefined;
      return stage === 'read'
        ? `SELECT on ${table}`
        : `CREATE on schema ${quote(schema)} (CREATE on the database too if the schema does not exist yet) and ownership of its tables`;
    },
    async readApplied() {
      const { rows } = await pool.query({ text: 'SELECT to_regclass($1) IS NOT NULL AS present', values: [table] });
      if (rows[0]?.['present'] !== true) return [];
      return toApplied((await pool.query({ text: selectApplied })).rows);
    },
    async inLockedTransaction(work) {
      const pooled = isPostgresPool(pool);
      const client = (pooled ? await pool.connect!() : pool) as PostgresMigrationClient & {
        release?(error?: unknown): void;
      };
      let failure: unknown;
      try {
        await client.query({ text: 'BEGIN' });
        try {
          // Held until COMMIT or ROLLBACK: a migrator that dies mid-way releases it with its connection.
          await client.query({
            text: 'SELECT pg_advisory_xact_lock($1::bigint)',
            values: [lockKey(schema, trackingTable)],
          });
          const { rows } = await client.query({
            text: 'SELECT 1 FROM pg_namespace WHERE nspname = $1',
            values: [schema],
          });
          const schemaExists = rows.length > 0;
          // Checked first so that a role without CREATE on the database can migrate an existing schema.
          if (!schemaExists) await client.query({ text: `CREATE SCHEMA IF NOT EXISTS ${quote(schema)}` });
          await client.query({
            text:
              `CREATE TABLE IF NOT EXISTS ${table} (id varchar(255) NOT NULL PRIMARY KEY, checksum char(64) NOT NULL, ` +
              'applied_at timestamptz NOT NULL DEFAULT now())',
          });
          const transaction: MigrationTransaction = {
            readApplied: async () => toApplied((await client.query({ text: selectApplied })).rows),
            record: async (migration) =>
              void (await client.query({
                text: `INSERT INTO ${table} (id, checksum) VALUES ($1, $2)`,
                values: [migration.id, migration.checksum],
              })),
            forget: async (id) =>
              void (await client.query({ text: `DELETE FROM ${table} WHERE id = $1`, values: [id] })),
            // PostgreSQL checks CREATE on the database before it sees that the schema exists: leave out the
            // migration's no-op CREATE SCHEMA IF NOT EXISTS, so the schema's owner can migrate without that right.
            apply: async (migration) =>
              void (await client.query({
                text: schemaExists ? migration.sql.replace(createSchema, '') : migration.sql,
              })),
          };
          const result = await work(transaction);
          await client.query({ text: 'COMMIT' });
          return result;
        } catch (error) {
          await client.query({ text: 'ROLLBACK' }).catch((rollbackError: unknown) => (failure = rollbackError));
          throw error;
        }
      } finally {
        // A client whose rollback failed is broken: hand it back so the pool discards it.
        if (pooled) client.release?.(failure);
      }
    },
  };
}
