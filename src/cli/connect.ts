/**
 * Opens the database a CLI command works on, from `--url`: a PostgreSQL URL, a SQL Server URL or ADO
 * connection string, a MySQL / MariaDB URL, or a SQLite file path. Drivers are loaded only for the dialect asked for.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import type { Dialect } from '../core/dialect.js';
import type { MigrateOptions } from '../migrations/index.js';

/** An open connection and how to close it. */
export interface OpenConnection {
  readonly handle: Pick<MigrateOptions, 'pool' | 'database'>;
  close(): Promise<void>;
}

/** A failure before any migration ran: a missing driver, an unreachable server. */
export class ConnectionFailure extends Error {
  override name = 'ConnectionFailure';
}

const DRIVERS: Readonly<Record<Dialect, string>> = {
  postgres: 'pg',
  sqlite: 'better-sqlite3',
  mssql: 'mssql',
  mysql: 'mysql2',
};
// The module each dialect loads: mysql2's promise API lives in a subpath.
const MODULES: Readonly<Record<Dialect, string>> = { ...DRIVERS, mysql: 'mysql2/promise' };

async function loadDriver(dialect: Dialect): Promise<unknown> {
  const name = DRIVERS[dialect];
  try {
    const loaded = (await import(MODULES[dialect])) as { default?: unknown };
    return loaded.default ?? loaded;
  } catch (error) {
    throw new ConnectionFailure(
      `the ${dialect} dialect needs the ${name} package; install it next to versioned-sessions (npm install ${name}).`,
      {
        cause: error,
      },
    );
  }
}

interface PgClient {
  connect(): Promise<void>;
  end(): Promise<void>;
}

/** `mssql://user:password@host:port/database?encrypt=false&trustServerCertificate=true` as an mssql config. */
function mssqlConfig(connection: string): unknown {
  if (!/^(?:mssql|sqlserver):\/\//i.test(connection)) return connection;
  const url = new URL(connection);
  const flag = (name: string, fallback: boolean): boolean => {
    const value = url.searchParams.get(name);
    return value === null ? fallback : value === 'true' || value === '1';
  };
  return {
    server: url.hostname,
    ...(url.port === '' ? {} : { port: Number.parseInt(url.port, 10) }),
    ...(url.pathname.length > 1 ? { database: decodeURIComponent(url.pathname.slice(1)) } : {}),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    options: { encrypt: flag('encrypt', true), trustServerCertificate: flag('trustServerCertificate', false) },
  };
}

/**
 * Connects to `connection` for `dialect`. `mustExist` refuses to create a SQLite file that is not there.
 *
 * @throws ConnectionFailure when the driver is missing or the database cannot be reached.
 */
export async function openConnection(
  dialect: Dialect,
  connection: string,
  mustExist: boolean,
): Promise<OpenConnection> {
  const driver = await loadDriver(dialect);
  try {
    if (dialect === 'sqlite') {
      if (mustExist && !existsSync(connection)) throw new Error(`there is no SQLite file at ${connection}`);
      const Database = driver as new (file: string) => NonNullable<MigrateOptions['database']> & { close(): void };
      const database = new Database(connection);
      return { handle: { database }, close: () => Promise.resolve(void database.close()) };
    }
    if (dialect === 'postgres') {
      const pg = driver as {
        Client: new (config: { connectionString: string; connectionTimeoutMillis: number }) => PgClient;
      };
      const client = new pg.Client({ connectionString: connection, connectionTimeoutMillis: 15_000 });
      await client.connect();
      return { handle: { pool: client as unknown as NonNullable<MigrateOptions['pool']> }, close: () => client.end() };
    }
    if (dialect === 'mysql') {
      const mysql = driver as {
        createConnection(config: { uri: string; connectTimeout: number }): Promise<{ end(): Promise<void> }>;
      };
      const connectionHandle = await mysql.createConnection({ uri: connection, connectTimeout: 15_000 });
      return {
        handle: { pool: connectionHandle as unknown as NonNullable<MigrateOptions['pool']> },
        close: () => connectionHandle.end(),
      };
    }
    const mssql = driver as {
      ConnectionPool: new (config: unknown) => { connect(): Promise<unknown>; close(): Promise<unknown> };
    };
    const pool = new mssql.ConnectionPool(mssqlConfig(connection));
    await pool.connect();
    return {
      handle: { pool: pool as unknown as NonNullable<MigrateOptions['pool']> },
      close: async () => void (await pool.close()),
    };
  } catch (error) {
    throw new ConnectionFailure(`cannot connect: ${describeError(error)}`, { cause: error });
  }
}

/** An error's message; connection errors of Node come as an AggregateError with an empty message. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeError))].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (error.message !== '') return error.message;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}
