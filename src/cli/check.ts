/**
 * `versioned-sessions check`: the sessions table as a store configured with the same names sees it,
 * through `verifySchema({ data: true })`. Store entries are loaded for the dialect asked for only.
 *
 * @module
 */
import { SessionRepository, type SchemaReport } from '../core/repository/repository.js';
import type { SessionStore } from '../core/session-store.js';
import type { MigrateOptions } from '../migrations/index.js';

/** The report of `check`, with the table it read. */
export interface CheckReport extends SchemaReport {
  readonly table: string;
}

async function storeFor(options: MigrateOptions): Promise<SessionStore> {
  const { dialect, pool, database, trackingTable: _trackingTable, ...names } = options;
  if (dialect === 'sqlite') {
    const { SqliteSessionStore } = await import('../sqlite/index.js');
    return new SqliteSessionStore({ database: database as never, ...names });
  }
  if (dialect === 'postgres') {
    const { PostgresSessionStore } = await import('../postgres/index.js');
    return new PostgresSessionStore({ pool: pool as never, ...names });
  }
  if (dialect === 'mysql') {
    const { MysqlSessionStore } = await import('../mysql/index.js');
    return new MysqlSessionStore({ pool: pool as never, ...names });
  }
  const { MssqlSessionStore } = await import('../mssql/index.js');
  return new MssqlSessionStore({ pool: pool as never, ...names });
}

/**
 * Checks the table and every row's data.
 *
 * @throws MigrationRequiredError when the table or a column is missing.
 */
export async function checkSessions(options: MigrateOptions): Promise<CheckReport> {
  const store = await storeFor(options);
  const report = await new SessionRepository({ store }).verifySchema({ data: true });
  return { ...report, table: store.names.table };
}
