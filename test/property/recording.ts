/**
 * A second connection to a fixture's database that records every statement a store sends through
 * it, so a property can assert that a refused configuration sent nothing at all.
 */
import type { Dialect } from '../../src/core/errors.js';
import { resolveNames } from '../../src/core/identifiers.js';
import type { SessionStore, TableOptions } from '../../src/core/types.js';
import { loadMigrationTemplates, renderTemplate } from '../../src/migrations/templates.js';
import { PostgresSessionStore } from '../../src/postgres/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';
import type { WorkerConnection } from '../conformance/target.js';

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export interface RecordingConnection {
  readonly dialect: Dialect;
  /** Every statement text (and, for SQLite, pragma) sent so far. */
  readonly statements: string[];
  newStore(options: Record<string, unknown>): SessionStore;
  /** Applies the packaged migrations for `options` (not recorded). */
  migrate(options: TableOptions): Promise<void>;
  /** Drops what `migrate` created for `options`: the schema (PostgreSQL) or both tables (SQLite). */
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
        const names = resolveNames('postgres', options);
        for (const migration of loadMigrationTemplates('postgres')) await pool.query(renderTemplate(migration.template, names));
      },
      async dropMigrated(options) {
        await pool.query(`DROP SCHEMA IF EXISTS ${quote(resolveNames('postgres', options).schema!)} CASCADE`);
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
    migrate(options) {
      const names = resolveNames('sqlite', options);
      for (const migration of loadMigrationTemplates('sqlite')) database.exec(renderTemplate(migration.template, names));
      return Promise.resolve();
    },
    dropMigrated(options) {
      const names = resolveNames('sqlite', options);
      database.exec(`DROP TABLE IF EXISTS ${quote(names.table)}; DROP TABLE IF EXISTS ${quote(names.processedTable)}`);
      return Promise.resolve();
    },
    close() {
      database.close();
      return Promise.resolve();
    },
  };
}
