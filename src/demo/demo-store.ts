/**
 * Opens the demo's store: an embedded SQLite file by default, or PostgreSQL by URL. Drivers are loaded
 * only when asked for, as in the library's own entries.
 *
 * @module
 */
import type { SessionStore } from '../core/types.js';

/** Where the demo keeps its sessions. */
export type DemoConnection =
  | { dialect: 'sqlite'; file: string; table: string }
  | { dialect: 'postgres'; url: string; table: string };

export interface OpenedStore {
  store: SessionStore;
  /** Runs DDL (the migrations) on the same connection. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export async function openDemoStore(connection: DemoConnection): Promise<OpenedStore> {
  if (connection.dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const { SqliteSessionStore } = await import('../sqlite/sqlite-store.js');
    const database = new Database(connection.file);
    return {
      store: new SqliteSessionStore({ database, table: connection.table }),
      exec: (sql) => Promise.resolve(void database.exec(sql)),
      close: () => Promise.resolve(void database.close()),
    };
  }
  const { default: pg } = await import('pg');
  const { PostgresSessionStore } = await import('../postgres/postgres-store.js');
  const pool = new pg.Pool({ connectionString: connection.url, max: 20 });
  return {
    store: new PostgresSessionStore({ pool, table: connection.table }),
    exec: async (sql) => void (await pool.query(sql)),
    close: () => pool.end(),
  };
}
