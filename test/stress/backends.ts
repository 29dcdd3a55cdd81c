/**
 * The databases a stress run targets. Each makes its own table (or schema), seeds the keys at a start
 * version, reads the final rows back with raw SQL (the checker does not take the library's word for
 * them), and, for PostgreSQL, SQL Server and MySQL / MariaDB, terminates the workers' backends on request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Dialect } from '../../src/core/dialect.js';
import { resolveNames } from '../../src/core/sql/table-names.js';
import type { TableOptions } from '../../src/core/sql/table-names.js';
import { migrate } from '../../src/migrations/index.js';

/** How a worker process reaches the backend. */
export interface StressConnection {
  dialect: Dialect;
  /** A PostgreSQL or MySQL URL, a SQL Server connection string or the SQLite file. */
  location: string;
  tableOptions: TableOptions;
}

export interface StoredKey {
  key: string;
  version: number;
  data: { list?: unknown; counter?: unknown };
}

export interface StressBackend {
  readonly connection: StressConnection;
  /**
   * The `application_name` / `appName` workers set (for MySQL, the database their URL names), so that
   * only their backends are terminated.
   */
  readonly applicationName: string;
  seedKeys(keys: readonly string[], startVersion: number): Promise<void>;
  readKeys(): Promise<StoredKey[]>;
  /** Terminates one of the workers' backends, preferring one in the middle of a statement. */
  terminateBackend?(): Promise<boolean>;
  close(): Promise<void>;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Refuses any database that is not on this machine: the run's faults must stay local. */
export function assertLocalUrl(url: string): URL {
  const parsed = new URL(url);
  if (parsed.hostname !== '127.0.0.1' && parsed.hostname !== 'localhost') {
    throw new Error(`stress runs target 127.0.0.1 only; refusing host ${parsed.hostname}`);
  }
  return parsed;
}

export async function sqliteBackend(): Promise<StressBackend> {
  const { default: Database } = await import('better-sqlite3');
  const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-stress-'));
  const file = join(folder, 'stress.db');
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  const tableOptions = { table: uniqueName('stress'), processedTable: uniqueName('processed') };
  const names = resolveNames('sqlite', tableOptions);
  await migrate({ dialect: 'sqlite', database, ...tableOptions });
  const c = names.columns;
  const table = quote(names.table);
  return {
    connection: { dialect: 'sqlite', location: file, tableOptions },
    applicationName: 'sqlite',
    seedKeys(keys, startVersion) {
      const insert = database.prepare(
        `INSERT INTO ${table} (${quote(c.key)}, ${quote(c.data)}, ${quote(c.version)}) VALUES (?, ?, ?)`,
      );
      database.transaction(() => {
        for (const key of keys) insert.run(key, JSON.stringify({ list: [], counter: 0 }), startVersion);
      })();
      return Promise.resolve();
    },
    readKeys() {
      const rows = database
        .prepare(`SELECT ${quote(c.key)} AS k, ${quote(c.data)} AS d, ${quote(c.version)} AS v FROM ${table}`)
        .all() as { k: string; d: string; v: number }[];
      return Promise.resolve(
        rows.map((row) => ({ key: row.k, version: Number(row.v), data: JSON.parse(row.d) as StoredKey['data'] })),
      );
    },
    close() {
      database.close();
      rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

export async function postgresBackend(url: string): Promise<StressBackend> {
  assertLocalUrl(url);
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  const schema = uniqueName('vs_stress');
  const applicationName = uniqueName('vs_stress');
  const tableOptions = { schema };
  const names = resolveNames('postgres', tableOptions);
  await migrate({ dialect: 'postgres', pool, ...tableOptions });
  const c = names.columns;
  const table = `${quote(schema)}.${quote(names.table)}`;
  return {
    connection: { dialect: 'postgres', location: url, tableOptions },
    applicationName,
    async seedKeys(keys, startVersion) {
      for (const key of keys) {
        await pool.query(
          `INSERT INTO ${table} (${quote(c.key)}, ${quote(c.data)}, ${quote(c.version)}) VALUES ($1, $2::jsonb, $3)`,
          [key, JSON.stringify({ list: [], counter: 0 }), startVersion],
        );
      }
    },
    async readKeys() {
      const { rows } = await pool.query<{ k: string; d: StoredKey['data']; v: number }>(
        `SELECT ${quote(c.key)} AS k, ${quote(c.data)} AS d, ${quote(c.version)} AS v FROM ${table}`,
      );
      return rows.map((row) => ({ key: row.k, version: Number(row.v), data: row.d }));
    },
    async terminateBackend() {
      const { rows } = await pool.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
          WHERE application_name = $1 AND pid <> pg_backend_pid()
          ORDER BY (state = 'active') DESC, random() LIMIT 1`,
        [applicationName],
      );
      return rows[0]?.killed === true;
    },
    async close() {
      await pool.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
      await pool.end();
    },
  };
}

/** SQL Server through an ADO-style connection string; backends are ended with KILL. */
export async function mssqlBackend(connectionString: string): Promise<StressBackend> {
  const { default: sql } = await import('mssql');
  const config = sql.ConnectionPool.parseConnectionString(connectionString);
  if (config.server !== '127.0.0.1' && config.server !== 'localhost') {
    throw new Error(`stress runs target 127.0.0.1 only; refusing server ${String(config.server)}`);
  }
  const pool = await new sql.ConnectionPool({ ...config, pool: { max: 2 } }).connect();
  pool.on('error', () => undefined);
  const bracket = (name: string): string => `[${name.replaceAll(']', ']]')}]`;
  const exec = async (text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> => {
    const request = pool.request();
    params.forEach((value, index) => request.input(`p${index + 1}`, value));
    const result = await request.query(text);
    return (result.recordsets as unknown as Record<string, unknown>[][]).at(-1) ?? [];
  };
  const schema = uniqueName('vs_stress');
  const applicationName = uniqueName('vs_stress');
  const tableOptions = { schema };
  const names = resolveNames('mssql', tableOptions);
  await exec(`EXEC (N'CREATE SCHEMA ${bracket(schema)}')`);
  await migrate({ dialect: 'mssql', pool, ...tableOptions });
  const c = names.columns;
  const table = `${bracket(schema)}.${bracket(names.table)}`;
  return {
    connection: { dialect: 'mssql', location: connectionString, tableOptions },
    applicationName,
    async seedKeys(keys, startVersion) {
      for (const key of keys) {
        await exec(
          `INSERT INTO ${table} (${bracket(c.key)}, ${bracket(c.data)}, ${bracket(c.version)}) VALUES (@p1, @p2, @p3)`,
          [key, JSON.stringify({ list: [], counter: 0 }), startVersion],
        );
      }
    },
    async readKeys() {
      const rows = await exec(
        `SELECT ${bracket(c.key)} AS k, ${bracket(c.data)} AS d, ${bracket(c.version)} AS v FROM ${table}`,
      );
      return rows.map((row) => ({
        key: String(row['k']),
        version: Number(row['v']),
        data: JSON.parse(String(row['d'])) as StoredKey['data'],
      }));
    },
    async terminateBackend() {
      // KILL takes no variable, so the statement is built from the chosen session id (an integer).
      const rows = await exec(
        `DECLARE @id INT = (SELECT TOP 1 session_id FROM sys.dm_exec_sessions
           WHERE program_name = @p1 AND session_id <> @@SPID
           ORDER BY CASE WHEN status = 'running' THEN 0 ELSE 1 END, NEWID());
         IF @id IS NOT NULL BEGIN DECLARE @kill NVARCHAR(40) = N'KILL ' + CAST(@id AS NVARCHAR(12)); EXEC (@kill); END;
         SELECT @id AS killed;`,
        [applicationName],
      );
      return rows[0]?.['killed'] !== null && rows[0]?.['killed'] !== undefined;
    },
    async close() {
      await exec(
        "DECLARE @drop NVARCHAR(MAX) = N''; " +
          "SELECT @drop += N'DROP TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N'; ' " +
          'FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id WHERE s.name = @p1; ' +
          "EXEC (@drop); SET @drop = N'DROP SCHEMA ' + QUOTENAME(@p1); IF SCHEMA_ID(@p1) IS NOT NULL EXEC (@drop);",
        [schema],
      );
      await pool.close();
    },
  };
}

/**
 * MySQL / MariaDB: the run gets a database of its own, which the workers' URL names, so their
 * connections are told apart from everyone else's by it; they are ended with KILL CONNECTION.
 */
export async function mysqlBackend(url: string): Promise<StressBackend> {
  const parsed = assertLocalUrl(url);
  const { default: mysql } = await import('mysql2/promise');
  const pool = mysql.createPool({ uri: url, connectionLimit: 2 });
  const tick = (name: string): string => `\`${name.replaceAll('`', '``')}\``;
  const database = uniqueName('vs_stress');
  await pool.query(`CREATE DATABASE ${tick(database)}`);
  const workerUrl = new URL(parsed.href);
  workerUrl.pathname = `/${database}`;
  const tableOptions = {};
  const names = resolveNames('mysql', tableOptions);
  await migrate({ dialect: 'mysql', pool, schema: database });
  const c = names.columns;
  const table = `${tick(database)}.${tick(names.table)}`;
  return {
    connection: { dialect: 'mysql', location: workerUrl.toString(), tableOptions },
    applicationName: database,
    async seedKeys(keys, startVersion) {
      for (const key of keys) {
        await pool.execute(
          `INSERT INTO ${table} (${tick(c.key)}, ${tick(c.data)}, ${tick(c.version)}) VALUES (?, ?, ?)`,
          [key, JSON.stringify({ list: [], counter: 0 }), startVersion],
        );
      }
    },
    async readKeys() {
      const [rows] = await pool.query(
        `SELECT CONVERT(${tick(c.key)} USING utf8mb4) AS k, ${tick(c.data)} AS d, ${tick(c.version)} AS v FROM ${table}`,
      );
      return (rows as { k: string; d: string; v: number }[]).map((row) => ({
        key: row.k,
        version: Number(row.v),
        data: JSON.parse(row.d) as StoredKey['data'],
      }));
    },
    async terminateBackend() {
      const [rows] = await pool.query(
        `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()
          ORDER BY (COMMAND = 'Query') DESC, RAND() LIMIT 1`,
        [database],
      );
      const id = (rows as { id: number }[])[0]?.id;
      if (id === undefined) return false;
      // KILL takes no parameter: the statement is built from the chosen connection id, an integer.
      await pool.query(`KILL CONNECTION ${Number(id)}`);
      return true;
    },
    async close() {
      await pool.query(`DROP DATABASE IF EXISTS ${tick(database)}`);
      await pool.end();
    },
  };
}
