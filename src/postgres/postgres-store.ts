/**
 * `PostgresSessionStore`: the shared SQL core over the caller's `pg.Pool` or `pg.Client`.
 *
 * @module
 */
import { InvalidArgumentError } from '../core/errors.js';
import { resolveNames } from '../core/identifiers.js';
import { SqlSessionStore, type ExecuteResult, type SqlDriver } from '../core/sql-store.js';
import type { TableOptions } from '../core/types.js';
import { classifyPostgresError } from './postgres-errors.js';
import { postgresStatements, type PostgresStatement } from './postgres-statements.js';

/**
 * The slice of `pg` the store calls: `query` with a text and values. A `pg.Pool`, a `pg.Client` and a
 * `pg.PoolClient` all fit; the type is declared here so the library does not depend on `pg`'s types.
 */
export interface PostgresQueryable {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/**
 * Options of {@link PostgresSessionStore}.
 *
 * @example
 * ```ts
 * const options: PostgresSessionStoreOptions = { pool, schema: 'bot', table: 'sessions' };
 * ```
 */
export interface PostgresSessionStoreOptions extends TableOptions {
  /** The caller's `pg.Pool` (recommended) or connected `pg.Client`. The store never ends it. */
  readonly pool: PostgresQueryable;
}

function isQueryable(value: unknown): value is PostgresQueryable {
  return typeof value === 'object' && value !== null && typeof (value as PostgresQueryable).query === 'function';
}

/**
 * Sessions in PostgreSQL through `pg`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { SessionRepository } from 'versioned-sessions';
 * import { PostgresSessionStore } from 'versioned-sessions/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const sessions = new SessionRepository({ store: new PostgresSessionStore({ pool }) });
 * ```
 */
export class PostgresSessionStore extends SqlSessionStore<PostgresStatement> {
  constructor(options: PostgresSessionStoreOptions) {
    if (typeof options !== 'object' || options === null || !isQueryable(options.pool)) {
      throw new InvalidArgumentError('pool', 'expected a pg.Pool or pg.Client (an object with a query method).');
    }
    const names = resolveNames('postgres', options);
    const pool = options.pool;
    const driver: SqlDriver<PostgresStatement> = {
      dialect: 'postgres',
      async execute(statement, transaction): Promise<ExecuteResult> {
        const target = transaction === undefined ? pool : (transaction as PostgresQueryable);
        const result = await target.query({ text: statement.text, values: statement.values });
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      },
      classifyError: classifyPostgresError,
    };
    super(names, postgresStatements(names), driver);
  }
}
