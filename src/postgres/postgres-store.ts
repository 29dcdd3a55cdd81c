/**
 * `PostgresSessionStore`: the shared SQL core over the caller's `pg.Pool` or `pg.Client`.
 *
 * @module
 */
import { expectThat } from '../core/validate.js';
import { SqlSessionStore } from '../core/sql/sql-session-store.js';
import { resolveNames, type TableOptions } from '../core/sql/table-names.js';
import { PostgresDriver, isPostgresQueryable, type PostgresQueryable } from './postgres-driver.js';
import { postgresStatements, type PostgresStatement } from './postgres-statements.js';

/**
 * Options of {@link PostgresSessionStore}.
 *
 * @example
 * ```ts
 * const options: PostgresSessionStoreOptions = { pool, schema: 'bot', table: 'sessions' };
 * ```
 */
export interface PostgresSessionStoreOptions extends TableOptions {
  /**
   * The caller's `pg.Pool` (recommended) or connected `pg.Client`. The store never ends it. With a
   * pool, each transaction of the store's own (an update with an `idempotencyKey`) checks out a client
   * for BEGIN … COMMIT. A single client has one transaction state, so the store queues its own
   * operations on it: they run one at a time, and never inside another operation's transaction.
   */
  readonly pool: PostgresQueryable;
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
export class PostgresSessionStore extends SqlSessionStore<PostgresStatement, PostgresQueryable> {
  /**
   * Validates and quotes the configured names; the pool is not used until the first call.
   *
   * @throws InvalidArgumentError when `pool` is not a pool or client, or a name is not a plain identifier.
   */
  constructor(options: PostgresSessionStoreOptions) {
    // No options at all is named after what is missing first: the pool.
    expectThat(
      isPostgresQueryable(options?.pool),
      'pool',
      'be a pg.Pool or pg.Client (an object with a query method)',
      options?.pool,
    );
    const names = resolveNames('postgres', options);
    super(names, postgresStatements(names), new PostgresDriver(options.pool));
  }
}
