/**
 * Opens the demo's store: an embedded SQLite file by default, or PostgreSQL by URL. Drivers are loaded
 * only when asked for, as in the library's own entries.
 *
 * @module
 */
import type { SessionStore } from '../core/session-store.js';

/** Where the demo keeps its sessions. */
export type DemoConnection =
  | { dialect: 'sqlite'; file: string; table: string }
  | { dialect: 'postgres'; url: string; schema: string; table: string };

export interface OpenedStore {
  store: SessionStore;
  /** Applies the packaged migrations for the demo's table on the same connection. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

// Each demo table gets its own tracking table: the two runs' tables share a schema.
const trackingTable = (table: string): string => `${table}_migrations`;

export async function openDemoStore(connection: DemoConnection): Promise<OpenedStore> {
  if (connection.dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const { SqliteSessionStore } = await import('../sqlite/sqlite-store.js');
    const database = new Database(connection.file);
    return {
      store: new SqliteSessionStore({ database, table: connection.table }),
      migrate: async () => {
        const { migrate } = await import('../migrations/index.js');
        await migrate({
          dialect: 'sqlite',
          database,
          table: connection.table,
          trackingTable: trackingTable(connection.table),
        });
      },
      close: () => Promise.resolve(void database.close()),
    };
  }
  const { default: pg } = await import('pg');
  const { PostgresSessionStore } = await import('../postgres/postgres-store.js');
  const pool = new pg.Pool({ connectionString: connection.url, max: 20 });
  return {
    store: new PostgresSessionStore({ pool, schema: connection.schema, table: connection.table }),
    migrate: async () => {
      const { migrate } = await import('../migrations/index.js');
      await migrate({
        dialect: 'postgres',
        pool,
        schema: connection.schema,
        table: connection.table,
        trackingTable: trackingTable(connection.table),
      });
    },
    close: () => pool.end(),
  };
}

/**
 * Drops the schema a PostgreSQL demo ran in, so running the demo against a real database leaves
 * nothing behind. The name was made by the demo and validated as a plain identifier.
 */
export async function dropDemoSchema(url: string, schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const { validateIdentifier } = await import('../core/sql/table-names.js');
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${validateIdentifier('postgres', 'schema', schema)}" CASCADE`);
  } finally {
    await pool.end();
  }
}
