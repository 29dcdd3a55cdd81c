/**
 * A second connection to a fixture's database that records every statement a store sends through
 * it, so a property can assert that a refused configuration sent nothing at all.
 */
import type { Dialect } from '../../src/core/dialect.js';
import { resolveNames } from '../../src/core/sql/table-names.js';
import type { SessionStore } from '../../src/core/session-store.js';
import type { TableOptions } from '../../src/core/sql/table-names.js';
import { migrate } from '../../src/migrations/index.js';
import { MysqlSessionStore } from '../../src/mysql/index.js';
import { PostgresSessionStore } from '../../src/postgres/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';
import type { WorkerConnection } from '../conformance/target.js';

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A tracking table per sessions table name (SQLite folds case, so the name is lowered). */
const trackingTableFor = (options: TableOptions): string =>
  `vsm_track_${(options.table ?? 'sessions').slice(0, 90).toLowerCase()}`;

export interface RecordingConnection {
  readonly dialect: Dialect;
  /** Every statement text (and, for SQLite, pragma) sent so far. */
  readonly statements: string[];
  newStore(options: Record<string, unknown>): SessionStore;
  /** Applies the packaged migrations for `options` (not recorded). */
  migrate(options: TableOptions): Promise<void>;
  /** Drops what `migrate` created for `options`: the schema (PostgreSQL), the database (MySQL) or both tables (SQLite). */
  dropMigrated(options: TableOptions): Promise<void>;
  close(): Promise<void>;
}

export async function recordingConnection(connection: WorkerConnection): Promise<RecordingConnection> {
  const statements: string[] = [];
  if (connection.dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: connection.location, max: 2 });
    const recorder = {
      query(config: { text: string; values?: unknown[] }) {
        statements.push(config.text);
        return pool.query(config);
      },
    };
    return {
      dialect: 'postgres',
      statements,
      newStore: (options) => new PostgresSessionStore({ ...options, pool: recorder } as never),
      async migrate(options) {
        await migrate({ dialect: 'postgres', pool, ...options });
      },
      async dropMigrated(options) {
        await pool.query(`DROP SCHEMA IF EXISTS ${quote(resolveNames('postgres', options).schema!)} CASCADE`);
      },
      close: () => pool.end(),
    };
  }
  if (connection.dialect === 'mysql') {
    const { default: mysql } = await import('mysql2/promise');
    const pool = mysql.createPool({ uri: connection.location, connectionLimit: 2, maxPreparedStatements: 64 });
    const tick = (name: string): string => `\`${name.replaceAll('`', '``')}\``;
    const recorder = {
      execute(sql: string, values: unknown[]) {
        statements.push(sql);
        return pool.execute(sql, values as never);
      },
      query(sql: string) {
        statements.push(sql);
        return pool.query(sql);
      },
      getConnection: () => pool.getConnection(),
    };
    return {
      dialect: 'mysql',
      statements,
      newStore: (options) => new MysqlSessionStore({ ...options, pool: recorder } as never),
      async migrate(options) {
        // Each round trip gets a database of its own (its `schema`), dropped afterwards.
        await pool.query(`CREATE DATABASE IF NOT EXISTS ${tick(resolveNames('mysql', options).schema!)}`);
        await migrate({ dialect: 'mysql', pool, ...options });
      },
      async dropMigrated(options) {
        await pool.query(`DROP DATABASE IF EXISTS ${tick(resolveNames('mysql', options).schema!)}`);
      },
      close: () => pool.end(),
    };
  }
  const { default: Database } = await import('better-sqlite3');
  const database = new Database(connection.location);
  const recorder = {
    get memory() {
      return database.memory;
    },
    prepare(sql: string) {
      statements.push(sql);
      return database.prepare(sql);
    },
    pragma(source: string, options?: { simple?: boolean }) {
      statements.push(`PRAGMA ${source}`);
      return database.pragma(source, options);
    },
  };
  return {
    dialect: 'sqlite',
    statements,
    newStore: (options) => new SqliteSessionStore({ ...options, database: recorder } as never),
    async migrate(options) {
      // Each round trip migrates other names in this one file, so each needs its own tracking table.
      await migrate({ dialect: 'sqlite', database, ...options, trackingTable: trackingTableFor(options) });
    },
    dropMigrated(options) {
      const names = resolveNames('sqlite', options);
      database.exec(
        `DROP TABLE IF EXISTS ${quote(names.table)}; DROP TABLE IF EXISTS ${quote(names.processedTable)}; ` +
          `DROP TABLE IF EXISTS ${quote(trackingTableFor(options))}`,
      );
      return Promise.resolve();
    },
    close() {
      database.close();
      return Promise.resolve();
    },
  };
}
